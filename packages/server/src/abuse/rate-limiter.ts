import type { SqlPool } from '../db/prisma.js'
import type { FailureLog } from '../db/availability.js'

export interface RateLimitOptions {
  /** Requests allowed per bucket per window, over all replicas together. */
  limit: number
  windowMs: number
  /** How often this replica adds its counts to the shared ones (and learns the others'). */
  syncMs: number
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number }

/**
 * Fixed-window request counting shared by every replica through Postgres without a database write per
 * request: each replica counts locally and merges its counts into the shared row every `syncMs`, reading back
 * the total. A burst split across replicas can overshoot by at most what they admit in one sync interval.
 */
export class RateLimiter {
  private pending = new Map<string, number>()
  private shared = new Map<string, number>()
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly sql: SqlPool,
    private readonly failures: FailureLog,
    private readonly options: RateLimitOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sync(), this.options.syncMs)
    this.timer.unref()
  }

  private windowStart(now: number): number {
    return now - (now % this.options.windowMs)
  }

  check(bucket: string, now = Date.now()): RateDecision {
    const window = this.windowStart(now)
    const slot = `${window}|${bucket}`
    const used = (this.shared.get(slot) ?? 0) + (this.pending.get(slot) ?? 0)
    if (used >= this.options.limit) {
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((window + this.options.windowMs - now) / 1000)),
      }
    }
    this.pending.set(slot, (this.pending.get(slot) ?? 0) + 1)
    return { allowed: true }
  }

  async sync(now = Date.now()): Promise<void> {
    const batch = [...this.pending]
    this.pending = new Map()
    try {
      if (batch.length > 0) {
        const windows = batch.map(([slot]) => new Date(Number(slot.slice(0, slot.indexOf('|')))))
        const buckets = batch.map(([slot]) => slot.slice(slot.indexOf('|') + 1))
        const counts = batch.map(([, count]) => count)
        const { rows: totals } = await this.sql.query<{ bucket: string; window_start: Date; count: number }>(
          `INSERT INTO rate_limit_windows (bucket, window_start, count)
           SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::int[])
           ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_limit_windows.count + EXCLUDED.count
           RETURNING bucket, window_start, count`,
          [buckets, windows, counts],
        )
        for (const row of totals) this.shared.set(`${row.window_start.getTime()}|${row.bucket}`, row.count)
      }
      // Learn what the other replicas counted for buckets this one has seen in the current window.
      const current = this.windowStart(now)
      const known = [...this.shared.keys()].filter((slot) => slot.startsWith(`${current}|`))
      if (known.length > 0) {
        const { rows } = await this.sql.query<{ bucket: string; count: number }>(
          'SELECT bucket, count FROM rate_limit_windows WHERE window_start = $1 AND bucket = ANY($2::text[])',
          [new Date(current), known.map((slot) => slot.slice(slot.indexOf('|') + 1))],
        )
        for (const row of rows) this.shared.set(`${current}|${row.bucket}`, row.count)
      }
      for (const slot of this.shared.keys()) {
        if (Number(slot.slice(0, slot.indexOf('|'))) < current) this.shared.delete(slot)
      }
      await this.sql.query('DELETE FROM rate_limit_windows WHERE window_start < $1', [
        new Date(current - this.options.windowMs),
      ])
    } catch (error) {
      // Counted again at the next sync, so requests made during an outage still count.
      for (const [slot, count] of batch) this.pending.set(slot, (this.pending.get(slot) ?? 0) + count)
      this.failures.failed(error, 'could not share rate limit counts')
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
  }
}
