import type { Grant } from '@infra/api-types'
import type { InfraClient } from '@infra/client-sdk'
import { backoffDelay } from '@infra/scheduling'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import type { NameResolver } from '../grants/names.js'
import type { SubjectNames } from '../rbac/desired-bindings.js'

/** The grants on the destination, with what the connector derives from them. */
interface GrantState {
  grants: readonly Grant[]
  names: SubjectNames
  /** Names of the users holding a grant. */
  users: ReadonlySet<string>
  /** The groups holding a grant: ID → name. */
  groups: ReadonlyMap<string, string>
}

interface GrantFollowerOptions {
  client: InfraClient
  destination: string
  resolver: NameResolver
  /** Gets every new list of grants. */
  onGrants(state: GrantState): void
  /** The watch woke with an unchanged list: the members of a granted group may have changed. */
  onUnchanged(): void
  logger: Logger
}

/** Waits after a failed watch, doubling up to 30 s. */
const RETRY = { initialMs: 1_000, maxMs: 30_000 }
/**
 * Reconnects of the long poll after a lost connection back off only up to this (jittered): a revoke made while
 * the server was out of reach takes effect within seconds of reaching it again, however long that took.
 */
const RECONNECT_BACKOFF = { initialDelayMs: 500, maxDelayMs: 3_000 }
/** Failures in a row, before any grants arrived, after which the connector gives up starting. */
const FAILURES_BEFORE_GIVING_UP = 3

/** Follows the grants on the destination (the server's long poll), resolving their subjects' names. */
export class GrantFollower {
  private state: GrantState | undefined
  private readonly stopped = new AbortController()
  private following: Promise<void> | undefined

  constructor(private readonly options: GrantFollowerOptions) {}

  get current(): GrantState | undefined {
    return this.state
  }

  /** Starts following; resolves with the first grants, rejects when they cannot be read (repeatedly). */
  start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.following = this.follow(resolve, reject)
    })
  }

  async stop(): Promise<void> {
    this.stopped.abort()
    await this.following
  }

  private async follow(loaded: () => void, failed: (error: unknown) => void): Promise<void> {
    const { client, destination, logger } = this.options
    const signal = this.stopped.signal
    let failures = 0
    while (!signal.aborted) {
      try {
        for await (const list of client.grants.watch(
          { destination },
          {
            signal,
            backoff: RECONNECT_BACKOFF,
            onRetry: (error, info) =>
              logger.warn({ err: error, retryInMs: info.delayMs }, 'grant watch interrupted'),
            onUnchanged: () => this.options.onUnchanged(),
          },
        )) {
          failures = 0
          this.state = await this.derive(list)
          this.options.onGrants(this.state)
          // From this line on the proxy and the bindings follow these grants: when a revoke took effect.
          logger.info({ grants: list.length }, 'grants updated')
          loaded()
        }
      } catch (error) {
        if (signal.aborted) return
        failures++
        const delay = backoffDelay(RETRY, failures)
        logger.error({ err: error, retryInMs: delay }, 'following grants failed')
        if (this.state === undefined && failures >= FAILURES_BEFORE_GIVING_UP) failed(error)
        await sleep(delay, undefined, { signal }).catch(() => undefined)
      }
    }
  }

  private async derive(grants: Grant[]): Promise<GrantState> {
    const names = await this.options.resolver.resolve(grants, this.stopped.signal)
    const users = new Set<string>()
    const groups = new Map<string, string>()
    for (const grant of grants) {
      const user = grant.user === undefined ? undefined : names.users.get(grant.user)
      if (user !== undefined) users.add(user)
      const group = grant.group === undefined ? undefined : names.groups.get(grant.group)
      if (grant.group !== undefined && group !== undefined) groups.set(grant.group, group)
    }
    return { grants, names, users, groups }
  }
}
