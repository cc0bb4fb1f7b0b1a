// Proxy overhead: the same load directly to the API server (the baseline) and through the connector.
import type { Figure, Section } from '@infra/test-harness/bench'
import { measured, perRequest, type Measured, type Processes } from './cpu.js'
import { CONCURRENCY, load, type Target } from './load.js'

const DURATION_MS = Number(process.env.BENCH_DURATION_SECONDS ?? 10) * 1000
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)

export interface Overhead {
  direct: Measured
  proxied: Measured
}

/** Alternating rounds of direct and proxied load (after a warm-up of each), combined. */
export async function measureOverhead(
  direct: Target,
  proxied: Target,
  processes: Processes,
): Promise<Overhead> {
  await load(direct, 2_000)
  await load(proxied, 2_000)
  const directRuns: Measured[] = []
  const proxyRuns: Measured[] = []
  for (let round = 0; round < ROUNDS; round++) {
    directRuns.push(await measured(() => load(direct, DURATION_MS), processes))
    proxyRuns.push(await measured(() => load(proxied, DURATION_MS), processes))
  }
  const sum = (runs: Measured[], value: (run: Measured) => number) =>
    runs.reduce((total, run) => total + value(run), 0)
  const combine = (runs: Measured[]): Measured => ({
    requests: sum(runs, (run) => run.requests),
    errors: sum(runs, (run) => run.errors),
    rps: sum(runs, (run) => run.rps) / runs.length,
    p50: sum(runs, (run) => run.p50) / runs.length,
    p99: sum(runs, (run) => run.p99) / runs.length,
    cpu: {
      apiServer: sum(runs, (run) => run.cpu.apiServer),
      loadGenerator: sum(runs, (run) => run.cpu.loadGenerator),
      connector: sum(runs, (run) => run.cpu.connector),
    },
  })
  return { direct: combine(directRuns), proxied: combine(proxyRuns) }
}

const method =
  `\`GET /api/v1/namespaces\`, ${CONCURRENCY} concurrent clients over keep-alive TLS, ${ROUNDS} alternating ` +
  `rounds of ${DURATION_MS / 1000} s per path after a 2 s warm-up each, averaged. Baseline: the same load ` +
  'directly to the API server with a static token holding `view`. Through the connector: an Infra JWT of a user ' +
  "granted `view`; the connector verifies it, checks the grants and forwards with impersonation as the chart's " +
  'service account, which the API server authorizes through RBAC on every request.'

function figures({ direct: d, proxied: p }: Overhead): Figure[] {
  const cpu = (id: string, label: string, of: (run: Measured) => number): Figure => ({
    id,
    label: `${label} CPU per request`,
    value: perRequest(of(p), p),
    unit: 'µs',
    better: 'lower',
    baseline: perRequest(of(d), d),
  })
  return [
    {
      id: 'throughput',
      label: 'requests/s',
      value: p.rps,
      unit: 'requests/s',
      better: 'higher',
      baseline: d.rps,
      target: { ratio: 0.85 },
    },
    { id: 'p50', label: 'p50', value: p.p50, unit: 'ms', better: 'lower', baseline: d.p50 },
    {
      id: 'added-p50',
      label: 'p50 added by the connector',
      value: p.p50 - d.p50,
      unit: 'ms',
      better: 'lower',
      target: { value: 2 },
    },
    { id: 'p99', label: 'p99', value: p.p99, unit: 'ms', better: 'lower', baseline: d.p99 },
    { id: 'errors', label: 'errors', value: p.errors, unit: '', better: 'lower', baseline: d.errors },
    cpu('api-server-cpu', 'API server (with its etcd)', (run) => run.cpu.apiServer),
    cpu('load-generator-cpu', 'load generator', (run) => run.cpu.loadGenerator),
    {
      id: 'connector-cpu',
      label: 'connector CPU per request',
      value: perRequest(p.cpu.connector, p),
      unit: 'µs',
      better: 'lower',
    },
  ]
}

/** As installed, the connector is a pod of its own, with its own CPU: it does not run on the API server's. */
export const dedicatedSection = (overhead: Overhead): Section => ({
  id: 'proxy-dedicated',
  title: 'Proxy overhead, the connector on its own CPU (as deployed)',
  description:
    `${method} The API server and the load generator are pinned to CPU 0 (for both paths) and the connector ` +
    'to the other CPUs (`taskset`), as a connector pod has CPU of its own.',
  baseline: 'direct to the API server',
  figures: figures(overhead),
  notes:
    "The API server's CPU per request through the connector is higher by the impersonation: it authorizes the " +
    "connector to impersonate, then the user's request. The connector's own CPU goes to TLS in and out, the " +
    'token check from its cache, forwarding and the audit line.',
})

export const sharedSection = (overhead: Overhead): Section => ({
  id: 'proxy-shared',
  title: 'Proxy overhead, everything on the same cores',
  description:
    `${method} The load generator, the API server and the connector share every CPU, so each cycle the ` +
    'connector spends is taken from the API server or the load generator: this ratio measures that sharing as ' +
    'much as the proxy.',
  baseline: 'direct to the API server',
  figures: figures(overhead),
})
