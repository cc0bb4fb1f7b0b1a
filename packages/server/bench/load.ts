// What every server benchmark section shares: the admin key the servers start with, and the load generator.
import { API_VERSION } from '@infra/api-types'
import type { Figure } from '@infra/test-harness/bench'
import autocannon from 'autocannon'
import { generateKey } from '../src/auth/access-key-secret.js'

export const DURATION_SECONDS = Number(process.env.BENCH_DURATION_SECONDS ?? 10)
export const adminKey = generateKey().text
export const headers = { 'Infra-Version': API_VERSION, Authorization: `Bearer ${adminKey}` }

/** 64 keep-alive clients for DURATION_SECONDS unless told otherwise. */
export async function load(url: string, options: Partial<autocannon.Options> = {}) {
  return autocannon({ url, connections: 64, duration: DURATION_SECONDS, headers, ...options })
}

/** A request still unanswered after this many seconds counts as unanswered (autocannon's `timeout`). */
export const UNANSWERED_AFTER_SECONDS = 2

/** One client asking ten times a second, as a health checker does: latency of a cheap request beside a load. */
export async function probe(url: string, options: Partial<autocannon.Options> = {}) {
  return autocannon({ url, connections: 1, overallRate: 10, duration: DURATION_SECONDS, ...options })
}

export const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0

export const errorsOf = (result: autocannon.Result) => result.errors + result.non2xx

/** One run's throughput, p99 and errors, each beside the same measure of the baseline run. */
export function loadFigures(
  id: string,
  label: string,
  ours: autocannon.Result,
  baseline: autocannon.Result,
): Figure[] {
  const measures = [
    ['throughput', 'requests/s', 'requests/s', 'higher', (run) => run.requests.average],
    ['p99', 'p99', 'ms', 'lower', (run) => run.latency.p99],
    ['errors', 'errors', '', 'lower', errorsOf],
  ] as const satisfies readonly (readonly [
    string,
    string,
    string,
    Figure['better'],
    (run: autocannon.Result) => number,
  ])[]
  return measures.map(([measure, name, unit, better, of]) => ({
    id: `${id}-${measure}`,
    label: `${label}, ${name}`,
    value: of(ours),
    unit,
    better,
    baseline: of(baseline),
  }))
}
