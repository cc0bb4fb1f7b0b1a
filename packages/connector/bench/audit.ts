// Auditing's cost: the same proxy load through a connector shipping an audit event per request to the server
// and through one with auditing off, in alternating rounds of the same run.
import type { Figure, Section } from '@infra/test-harness/bench'
import { measured, perRequest, type Measured } from './cpu.js'
import { CONCURRENCY, load, type Target } from './load.js'

const DURATION_MS = Number(process.env.BENCH_DURATION_SECONDS ?? 10) * 1000
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)

/** A connector to load: where it listens and its process, whose CPU is counted. */
export interface AuditTarget {
  target: Target
  pid: number
}

const average = (runs: Measured[], value: (run: Measured) => number) =>
  runs.reduce((total, run) => total + value(run), 0) / runs.length

export async function auditSection(
  on: AuditTarget,
  off: AuditTarget,
  apiServer: number | undefined,
): Promise<Section> {
  await load(off.target, 2_000)
  await load(on.target, 2_000)
  const runs = { on: [] as Measured[], off: [] as Measured[] }
  for (let round = 0; round < ROUNDS; round++) {
    runs.off.push(await measured(() => load(off.target, DURATION_MS), { apiServer, connector: off.pid }))
    runs.on.push(await measured(() => load(on.target, DURATION_MS), { apiServer, connector: on.pid }))
  }
  /** A figure of the audited runs against the same of the unaudited ones. */
  const compared = (
    id: string,
    label: string,
    unit: string,
    better: Figure['better'],
    of: (run: Measured) => number,
  ): Figure => ({ id, label, unit, better, value: average(runs.on, of), baseline: average(runs.off, of) })
  return {
    id: 'proxy-audit',
    title: 'Proxy throughput with auditing on and off',
    description:
      `\`GET /api/v1/namespaces\` through the connector, ${CONCURRENCY} concurrent clients over keep-alive TLS, ` +
      `${ROUNDS} alternating rounds of ${DURATION_MS / 1000} s per connector after a 2 s warm-up each, ` +
      'everything on the same cores. Baseline: a connector started with `--audit off`. Measured: one with the ' +
      'default `--audit best-effort`, which builds a `kube.request` event per request and ships them in ' +
      'batches to the server (on Postgres, on this machine too).',
    baseline: 'the same connector with --audit off',
    figures: [
      {
        ...compared('throughput', 'requests/s', 'requests/s', 'higher', (run) => run.rps),
        target: { ratio: 0.95 },
      },
      compared('p99', 'p99', 'ms', 'lower', (run) => run.p99),
      compared('connector-cpu', 'connector CPU per request', 'µs', 'lower', (run) =>
        perRequest(run.cpu.connector, run),
      ),
      compared('errors', 'errors', '', 'lower', (run) => run.errors),
    ],
    notes:
      "The server's work storing the events (its ingest route and the hash chain) runs on the same cores, so " +
      'it is part of the cost measured here.',
  }
}
