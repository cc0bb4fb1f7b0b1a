import type { InfraClient } from '@infra/client-sdk'
import { CoalescingTask, every } from '@infra/scheduling'
import type { Logger } from 'pino'

type Members = ReadonlyMap<string, ReadonlySet<string>>

interface MemberRefresherOptions {
  client: InfraClient
  /** How often members are read again besides on request, in case a wake-up was missed. */
  refreshMs: number
  /** Gets the members of every group followed, by group name, after each refresh. */
  onRefreshed(members: Members): void
  logger: Logger
}

/** Failed reads are tried again after this, backing off up to the refresh interval. */
const RETRY_INITIAL_MS = 1_000

/**
 * The current members of the groups holding grants here: read again whenever the groups change, on request
 * (the grants watch woke with the same list: someone joined or left such a group), and every `refreshMs`.
 */
export class MemberRefresher {
  private groups: ReadonlyMap<string, string> = new Map()
  private members: Members = new Map()
  private readonly refreshes: CoalescingTask
  private readonly stopped = new AbortController()
  private stopTimer: (() => void) | undefined

  constructor(private readonly options: MemberRefresherOptions) {
    this.refreshes = new CoalescingTask({
      run: () => this.read(),
      onError: (error, retryInMs) => {
        if (!this.stopped.signal.aborted)
          options.logger.warn({ err: error, retryInMs }, 'could not read group members')
      },
      retry: { initialMs: Math.min(RETRY_INITIAL_MS, options.refreshMs), maxMs: options.refreshMs },
    })
  }

  /** The members last read, by group name. */
  get current(): Members {
    return this.members
  }

  start(): void {
    this.stopTimer = every(this.options.refreshMs, () => this.refresh())
  }

  /** Follows these groups (ID → name) from now on, reading their members at once. */
  follow(groups: ReadonlyMap<string, string>): void {
    this.groups = groups
    this.refresh()
  }

  refresh(): void {
    this.refreshes.request()
  }

  stop(): void {
    this.stopTimer?.()
    this.stopped.abort()
    this.refreshes.stop()
  }

  private async read(): Promise<void> {
    const next = new Map<string, Set<string>>()
    await Promise.all(
      [...this.groups].map(async ([id, name]) => {
        const names = new Set<string>()
        for await (const user of this.options.client.users.iterate(
          { group: id, limit: 1000 },
          { signal: this.stopped.signal },
        )) {
          names.add(user.name)
        }
        next.set(name, names)
      }),
    )
    this.members = next
    this.options.onRefreshed(next)
  }
}
