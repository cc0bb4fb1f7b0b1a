// What every server benchmark section shares: the admin key the servers start with, and the load generator.
import { API_VERSION } from '@infra/api-types'
import type { Figure } from '@infra/test-harness/bench'
import autocannon from 'autocannon'
import { generateKey } from '../src/auth/access-key-secret.js'

export const DURATION_SECONDS = Number(process.env.BENCH_DURATION_SECONDS ?? 10)
export const adminKey = generateKey().text
export const headers = { 'Infra-Version': API_VERSION, Authorization: `Bearer ${adminKey}` }

const loadOptions = (url: string, options: Partial<autocannon.Options>): autocannon.Options => ({
  url,
  connections: 64,
  duration: DURATION_SECONDS,
  headers,
  ...options,
})

/** 64 keep-alive clients for DURATION_SECONDS unless told otherwise. */
export async function load(url: string, options: Partial<autocannon.Options> = {}) {
  return autocannon(loadOptions(url, options))
}

/** A request still unanswered after this many seconds counts as unanswered (autocannon's `timeout`). */
export const UNANSWERED_AFTER_SECONDS = 2

/**
 * `load`, letting every request take as long as it takes (up to autocannon's default 10 s) and counting those
 * not answered within UNANSWERED_AFTER_SECONDS: unlike a 2 s `timeout`, it does not abandon them and ask again,
 * which leaves a server that cannot cancel its work with two requests' work for one.
 */
export function loadCountingLate(url: string, options: Partial<autocannon.Options> = {}) {
  return new Promise<{ result: autocannon.Result; late: number }>((resolve, reject) => {
    let late = 0
    const instance = autocannon(loadOptions(url, options), (error: Error | null, result) =>
      error ? reject(error) : resolve({ result, late: late + result.timeouts }),
    )
    instance.on('response', (_client, _status, _bytes, milliseconds) => {
      if (milliseconds > UNANSWERED_AFTER_SECONDS * 1000) late++
    })
  })
}

/** One client asking ten times a second, as a health checker does: latency of a cheap request beside a load. */
export async function probe(url: string, options: Partial<autocannon.Options> = {}) {
  return autocannon({ url, connections: 1, overallRate: 10, duration: DURATION_SECONDS, ...options })
}

export const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0

export const errorsOf = (result: autocannon.Result) => result.errors + result.non2xx

const MEASURES = {
  throughput: ['requests/s', 'requests/s', 'higher', (run) => run.requests.average],
  p50: ['p50', 'ms', 'lower', (run) => run.latency.p50],
  p99: ['p99', 'ms', 'lower', (run) => run.latency.p99],
  errors: ['errors', '', 'lower', errorsOf],
} as const satisfies Record<
  string,
  readonly [string, string, Figure['better'], (run: autocannon.Result) => number]
>

/**
 * One run's throughput, p50, p99 and errors, each beside the same measure of the baseline run; `of` names them
 * when a section has several runs.
 */
export function loadFigures(
  ours: autocannon.Result,
  baseline: autocannon.Result,
  options: {
    of?: { id: string; label: string }
    targets?: Partial<Record<keyof typeof MEASURES, Figure['target']>>
  } = {},
): Figure[] {
  return Object.entries(MEASURES).map(([measure, [name, unit, better, value]]) => {
    const target = options.targets?.[measure as keyof typeof MEASURES]
    return {
      id: options.of ? `${options.of.id}-${measure}` : measure,
      label: options.of ? `${options.of.label}, ${name}` : name,
      value: value(ours),
      unit,
      better,
      baseline: value(baseline),
      ...(target ? { target } : {}),
    }
  })
}
