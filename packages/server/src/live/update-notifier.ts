import pg from 'pg'
import type { SqlPool } from '../db/prisma.js'
import type { FailureLog } from '../db/availability.js'

export const UPDATES_CHANNEL = 'infra_updates'
/** The index of a scope that never changed; the first real change is numbered above it. */
export const BASE_INDEX = 2
/** Long polls miss changes while notifications are down, so a database that is back is noticed within this. */
const MAX_RECONNECT_DELAY_MS = 1_000

export type WaitOutcome = { kind: 'changed'; index: number } | { kind: 'cancelled' } | { kind: 'recheck' }

interface Waiter {
  scopes: readonly string[]
  after: number
  resolve(outcome: WaitOutcome): void
}

interface Notification {
  index: number
  scopes: string[]
}

/**
 * One LISTEN connection per server process fans change notifications out to every waiting long poll in
 * memory, so that waiting requests hold no database connection. Notifications come from triggers, so a
 * change committed through any replica wakes waiters on all of them.
 */
export class UpdateNotifier {
  private client: pg.Client | undefined
  private readonly waitersByScope = new Map<string, Set<Waiter>>()
  private readonly longPollsByKey = new Map<string, number>()
  private readonly loads = new Map<string, Promise<unknown>>()
  private stopped = false
  private reconnectDelayMs = 100

  constructor(
    private readonly databaseUrl: string,
    private readonly failures: FailureLog,
    private readonly listeners: { onChange?(scopes: string[]): void; onReconnect?(): void } = {},
  ) {}

  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl })
    client.on('notification', (message) => this.dispatch(message.payload))
    client.on('error', (error) => {
      this.failures.failed(error, 'lost the update notification connection')
      void this.reconnect(client)
    })
    client.on('end', () => void this.reconnect(client))
    await client.connect()
    await client.query(`LISTEN ${UPDATES_CHANNEL}`)
    this.client = client
    this.reconnectDelayMs = 100
  }

  private async reconnect(dead: pg.Client): Promise<void> {
    if (this.stopped || this.client !== dead) return
    this.client = undefined
    await dead.end().catch(() => undefined)
    while (!this.stopped) {
      await new Promise((resolve) => setTimeout(resolve, this.reconnectDelayMs))
      try {
        await this.start()
        // Notifications sent while disconnected are lost: let every waiter look again.
        this.listeners.onReconnect?.()
        this.wakeAll()
        return
      } catch (error) {
        this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, MAX_RECONNECT_DELAY_MS)
        this.failures.failed(error, 'could not reconnect update notifications')
      }
    }
  }

  private dispatch(payload: string | undefined): void {
    if (!payload) return
    let notification: Notification
    try {
      notification = JSON.parse(payload) as Notification
    } catch {
      return
    }
    this.listeners.onChange?.(notification.scopes)
    // Unnumbered notifications (index 0: an access key changed) make their waiters look again.
    const outcome: WaitOutcome =
      notification.index === 0 ? { kind: 'recheck' } : { kind: 'changed', index: notification.index }
    const woken = new Set<Waiter>()
    for (const scope of notification.scopes) {
      for (const waiter of this.waitersByScope.get(scope) ?? []) {
        if (notification.index === 0 || notification.index > waiter.after) woken.add(waiter)
      }
    }
    for (const waiter of woken) waiter.resolve(outcome)
  }

  private wakeAll(): void {
    const all = new Set<Waiter>()
    for (const waiters of this.waitersByScope.values()) for (const waiter of waiters) all.add(waiter)
    for (const waiter of all) waiter.resolve({ kind: 'recheck' })
  }

  /** The highest change index among the scopes. */
  async currentIndex(sql: SqlPool, scopes: readonly string[]): Promise<number> {
    const { rows } = await sql.query<{ index: string | null }>(
      'SELECT max(index)::text AS index FROM update_indexes WHERE scope = ANY($1::text[])',
      [scopes],
    )
    const index = rows[0]?.index
    return index === null || index === undefined ? BASE_INDEX : Number(index)
  }

  /**
   * Registers interest in changes after `after` to any of the scopes. Register before reading the current
   * index, so that a change landing in between still wakes the waiter.
   */
  watch(scopes: readonly string[], after: number): { changed: Promise<WaitOutcome>; cancel(): void } {
    let settle: (outcome: WaitOutcome) => void = () => undefined
    const changed = new Promise<WaitOutcome>((resolve) => (settle = resolve))
    const waiter: Waiter = {
      scopes,
      after,
      resolve: (outcome) => {
        remove()
        settle(outcome)
      },
    }
    const remove = () => {
      for (const scope of scopes) {
        const set = this.waitersByScope.get(scope)
        set?.delete(waiter)
        if (set?.size === 0) this.waitersByScope.delete(scope)
      }
    }
    for (const scope of scopes) {
      const set = this.waitersByScope.get(scope) ?? new Set<Waiter>()
      set.add(waiter)
      this.waitersByScope.set(scope, set)
    }
    if (this.stopped) waiter.resolve({ kind: 'cancelled' })
    return { changed, cancel: () => waiter.resolve({ kind: 'cancelled' }) }
  }

  /**
   * One load for every waiter woken by the same change: thousands of agents or connectors watching one
   * destination cost one query, not thousands.
   */
  shared<T>(key: string, load: () => Promise<T>): Promise<T> {
    const running = this.loads.get(key) as Promise<T> | undefined
    if (running) return running
    const started = load().finally(() => this.loads.delete(key))
    this.loads.set(key, started)
    return started
  }

  /** Counts a long poll of an access key, unless it already has `max` waiting. */
  acquire(accessKeyId: string, max: number): boolean {
    const active = this.longPollsByKey.get(accessKeyId) ?? 0
    if (active >= max) return false
    this.longPollsByKey.set(accessKeyId, active + 1)
    return true
  }

  release(accessKeyId: string): void {
    const left = (this.longPollsByKey.get(accessKeyId) ?? 1) - 1
    if (left <= 0) this.longPollsByKey.delete(accessKeyId)
    else this.longPollsByKey.set(accessKeyId, left)
  }

  /** Waiting long polls right now, for tests and benchmarks. */
  get waiterCount(): number {
    const all = new Set<Waiter>()
    for (const waiters of this.waitersByScope.values()) for (const waiter of waiters) all.add(waiter)
    return all.size
  }

  async stop(): Promise<void> {
    this.stopped = true
    for (const waiters of [...this.waitersByScope.values()])
      for (const waiter of [...waiters]) waiter.resolve({ kind: 'cancelled' })
    const client = this.client
    this.client = undefined
    await client?.end().catch(() => undefined)
  }
}
