// What the server-side fault cases share: the load they put on the API while a part of the system fails, the
// count of how each request ended, and what the grants say the cluster should have.
import { routes, type RouteName } from '@infra/api-types'
import { InfraApiError, InfraClient, InfraNetworkError, InfraTimeoutError } from '@infra/client-sdk'
import type { Result } from '@infra/test-harness'
import { table } from '../results.js'

/** The admin's client for the load: no retries, so that every answer the server gave is counted. */
export const loadClient = (server: string, accessKey: string, trustedCertificate: string) =>
  new InfraClient({ server, accessKey, trustedCertificate, retry: 0, timeout: 10_000 })

/** How a request ended for its caller: the status of the answer, or why there was none. */
function outcomeOf(error: unknown): string {
  if (error instanceof InfraApiError) return String(error.status)
  if (error instanceof InfraTimeoutError) return 'timed out'
  if (error instanceof InfraNetworkError) return 'no connection'
  throw error
}

/** The answers to a load, counted by the phase of the fault each request started in and by how it ended. */
export class Answers<Phase extends string> {
  private readonly counts = new Map<Phase, Map<string, number>>()

  constructor(
    private readonly phases: readonly Phase[],
    private readonly phase: () => Phase,
  ) {}

  /** Makes a call to `route`, counting how it ended; resolves to its answer, or undefined when it failed. */
  async call<T>(route: RouteName, call: () => Promise<T>): Promise<T | undefined> {
    const phase = this.phase()
    try {
      const answer = await call()
      this.count(phase, String(routes[route].successStatus))
      return answer
    } catch (error) {
      this.count(phase, outcomeOf(error))
      return undefined
    }
  }

  count(phase: Phase, outcome: string): void {
    const counts = this.counts.get(phase) ?? new Map<string, number>()
    counts.set(outcome, (counts.get(outcome) ?? 0) + 1)
    this.counts.set(phase, counts)
  }

  /** How many requests started in `phase` ended with `outcome`. */
  of(phase: Phase, outcome: string): number {
    return this.counts.get(phase)?.get(outcome) ?? 0
  }

  /** A markdown table: one row per phase, one column per outcome seen. */
  table(): string {
    const outcomes = [...new Set([...this.counts.values()].flatMap((counts) => [...counts.keys()]))].sort()
    return table(
      ['phase', ...outcomes],
      this.phases.map((phase) => [phase, ...outcomes.map((outcome) => this.of(phase, outcome))]),
    )
  }
}

/**
 * What the grants on `destination.namespace` call for in the cluster, as `boundSubjects` shows the cluster's
 * RoleBindings: one `role kind/name` line per grant, sorted.
 */
export async function grantedSubjects(
  client: InfraClient,
  destination: string,
  namespace: string,
): Promise<string[]> {
  const [grants, users, groups] = await Promise.all([
    client.grants.listAll({ resource: `${destination}.${namespace}` }),
    client.users.listAll(),
    client.groups.listAll(),
  ])
  const names = new Map([...users, ...groups].map((subject) => [subject.id, subject.name]))
  return grants
    .map((grant) =>
      grant.user
        ? `${grant.privilege} User/${names.get(grant.user) ?? grant.user}`
        : `${grant.privilege} Group/${names.get(grant.group ?? '') ?? grant.group ?? ''}`,
    )
    .sort()
}

/** The median and the largest of some durations, in whole milliseconds. */
export function medianAndMax(durations: readonly number[]): { p50: number; max: number } {
  const sorted = [...durations].sort((a, b) => a - b)
  return {
    p50: Math.round(sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN),
    max: Math.round(sorted.at(-1) ?? Number.NaN),
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** What became of a kubectl request through the connector. */
export type KubectlOutcome = 'worked' | 'forbidden by the cluster' | 'refused by the connector' | 'failed'

/** Admitted by the connector means the cluster answered: it worked, or the cluster's RBAC said no. */
export function kubectlOutcome(result: Result): KubectlOutcome {
  if (result.code === 0) return 'worked'
  if (/has no grant on this destination|Unauthorized/.test(result.stderr)) return 'refused by the connector'
  if (/forbidden: User/.test(result.stderr)) return 'forbidden by the cluster'
  return 'failed'
}
