import { peakResidentMemory, type Figure, type Section } from '@infra/test-harness/bench'
import { createTestDatabase } from '@infra/test-harness'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import type autocannon from 'autocannon'
import { defaultWorkers } from '../../src/bin/cpu-limit.js'
import { adminKey, headers, load, loadCountingLate, loadFigures, UNANSWERED_AFTER_SECONDS } from '../load.js'
import { ORIGINAL_API_VERSION, startInfraServer, startOriginalInfra, type Child } from '../processes.js'
import { seedOriginalGrants } from '../seed.js'
import { ROUTES } from './workers.js'

/** Where the original Go Infra's binary is: the user builds it; nothing of it is in this repository. */
const BINARY_VARIABLE = 'INFRA_ORIGINAL_BINARY'
const MEMORY_TARGET_MIB = 150

interface Measured {
  load: autocannon.Result
  /** Requests answered later than UNANSWERED_AFTER_SECONDS, or not at all. */
  late: number
  /** Each process's peak resident memory (MiB) during the load: the server, then its workers. */
  peaks: number[]
}

/** The processes serving: the server and, with several workers, its worker processes (its children). */
async function processIds(pid: number): Promise<number[]> {
  const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')
  return [pid, ...children.split(' ').filter(Boolean).map(Number)]
}

/** Each route under 64 clients after a warm-up, with the peak memory of every serving process meanwhile. */
async function measure(server: Child, requestHeaders: Record<string, string>) {
  const pids = await processIds(server.process.pid as number)
  const results: Measured[] = []
  for (const route of ROUTES) {
    const url = `http://127.0.0.1:${server.port}${route.path}`
    await load(url, { duration: 2, headers: requestHeaders })
    const samplers = await Promise.all(pids.map((pid) => peakResidentMemory(pid)))
    const run = await loadCountingLate(url, { headers: requestHeaders })
    const peaks = await Promise.all(samplers.map((sampler) => sampler.stop()))
    results.push({ load: run.result, late: run.late, peaks })
  }
  return results
}

async function withServer<T>(start: Promise<Child>, run: (server: Child) => Promise<T>): Promise<T> {
  const server = await start
  try {
    return await run(server)
  } finally {
    await server.stop()
  }
}

const [, GRANTS_PAGE] = ROUTES

async function pageSize(server: Child, requestHeaders: Record<string, string>) {
  const response = await fetch(`http://127.0.0.1:${server.port}${GRANTS_PAGE.path}`, {
    headers: requestHeaders,
  })
  return ((await response.json()) as { count: number }).count
}

const title = 'Side by side with the original Go Infra v0.21.0, 64 concurrent clients'

/**
 * Ours (default workers, and one) and the original, one after the other, on the same Postgres, seeded alike
 * (the original in a database of its own), under the same load generator.
 */
export async function original(
  databaseUrl: string,
  users: number,
  grants: number,
  groups: number,
): Promise<Section> {
  const binary = process.env[BINARY_VARIABLE]
  if (!binary) {
    return {
      id: 'original',
      title,
      description: 'Not measured in this run.',
      figures: [],
      notes: `Set ${BINARY_VARIABLE} to the path of the original's \`infra\` binary to measure it (see bench/README.md).`,
    }
  }
  if (!existsSync(binary)) throw new Error(`${BINARY_VARIABLE}=${binary}: no such file`)
  const workers = defaultWorkers()
  const ours = (count: number) =>
    withServer(
      startInfraServer(databaseUrl, adminKey, ['--rate-limit', '100000000'], { workers: count }),
      async (server) => {
        const size = await pageSize(server, headers)
        if (size !== 1000) throw new Error(`our page holds ${size} grants, not 1,000`)
        return { workers: count, routes: await measure(server, headers) }
      },
    )
  const originalHeaders = { ...headers, 'Infra-Version': ORIGINAL_API_VERSION }
  // With several workers, ours runs before and after it (`--workers 1`): neither side has the machine's quieter
  // moments to itself.
  const runs = [await ours(workers)]
  const originalDatabase = await createTestDatabase()
  const theirs = await withServer(
    startOriginalInfra(binary, originalDatabase.url, adminKey),
    async (server) => {
      await seedOriginalGrants(originalDatabase.url, users, grants, groups)
      const size = await pageSize(server, originalHeaders)
      if (size !== 1000) throw new Error(`the original's page holds ${size} grants, not 1,000`)
      return measure(server, originalHeaders)
    },
  ).finally(() => originalDatabase.drop())
  if (workers > 1) runs.push(await ours(1))

  const figures = runs.flatMap((run) =>
    ROUTES.flatMap((route, index): Figure[] => {
      const [measured, baseline] = [run.routes[index], theirs[index]]
      if (!measured || !baseline) return []
      const of = {
        id: run.workers === workers ? route.id : `one-worker-${route.id}`,
        label: `${route.label}, \`--workers ${run.workers}\``,
      }
      const isPage = route === GRANTS_PAGE
      const memory = (id: string, label: string, value: number, target?: number): Figure => ({
        id: `${of.id}-${id}`,
        label: `${of.label}, ${label}`,
        value,
        unit: 'MiB',
        better: 'lower',
        baseline: Math.max(...baseline.peaks),
        ...(target ? { target: { value: target } } : {}),
      })
      return [
        ...loadFigures(measured.load, baseline.load, {
          of,
          targets: isPage ? { throughput: { ratio: 1.5 }, p99: { value: 1000 } } : {},
        }),
        ...(isPage
          ? [
              {
                id: `${of.id}-unanswered`,
                label: `${of.label}, requests unanswered within ${UNANSWERED_AFTER_SECONDS} s`,
                value: measured.late,
                unit: '',
                better: 'lower' as const,
                baseline: baseline.late,
                target: { value: 0 },
              },
            ]
          : []),
        memory('peak-rss', 'peak RSS of our largest process', Math.max(...measured.peaks), MEMORY_TARGET_MIB),
        ...(run.workers > 1
          ? [
              memory(
                'peak-rss-total',
                `peak RSS of our ${measured.peaks.length} processes together`,
                sum(measured.peaks),
              ),
            ]
          : []),
      ]
    }),
  )
  return {
    id: 'original',
    title,
    description:
      `Our \`infra-server\` over HTTP at log level warn, with the default workers (${workers} here) and with ` +
      '`--workers 1`, against the original Go Infra server (its binary from `' +
      BINARY_VARIABLE +
      '`) over HTTP at log level warn with telemetry off, one after the other on the same Postgres, seeded ' +
      `alike (${grants.toLocaleString('en')} grants over cluster0 … cluster49, ${users.toLocaleString('en')} ` +
      'users), each load after a 2-second warm-up. No request is abandoned at 2 s (the original goes on working ' +
      'on an abandoned one, so asking again would double its load): those answered later, or not within ' +
      "autocannon's 10 s, count as unanswered. Peak RSS is the kernel high-water mark of each process during " +
      'that load.',
    baseline: 'the original Go Infra, same run',
    figures,
    notes:
      "The load generator and Postgres share the machine's cores with the servers; only ratios in the same run " +
      'mean anything. The original is one process using every core; "largest of our processes" is what a ' +
      'per-process memory limit sees, "all together" what the machine gives.',
  }
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0)
