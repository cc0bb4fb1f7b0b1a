import type { SqlPool } from '../db/prisma.js'
import type { FailureLog } from '../db/availability.js'

// Far longer than a cached key lives (it reloads the flushed deadline from the database), short enough to stay small.
const RECENT_USE_MEMORY_MS = 3_600_000

interface Use {
  keyId: string
  userId: string
  at: Date
}

/**
 * Remembers when keys were last used and writes it in batches, so that authenticating a request costs no
 * database write. The sliding extension deadline is computed from the most recent use in memory, which may be newer than the database.
 */
export class KeyUsageTracker {
  private pending = new Map<string, Use>()
  /** Recent uses, kept past their flush so that cached keys see their deadline slide. */
  private recent = new Map<string, Date>()
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly sql: SqlPool,
    private readonly failures: FailureLog,
    private readonly flushIntervalMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.flushIntervalMs)
    this.timer.unref()
  }

  record(keyId: string, userId: string, at: Date): void {
    this.pending.set(keyId, { keyId, userId, at })
    this.recent.set(keyId, at)
  }

  lastUse(keyId: string): Date | undefined {
    return this.recent.get(keyId)
  }

  async flush(): Promise<void> {
    const forgetBefore = Date.now() - RECENT_USE_MEMORY_MS
    for (const [keyId, at] of this.recent) if (at.getTime() < forgetBefore) this.recent.delete(keyId)
    if (this.pending.size === 0) return
    const uses = [...this.pending.values()]
    this.pending = new Map()
    const keyIds = uses.map((use) => use.keyId)
    const times = uses.map((use) => use.at)
    const userIds = uses.map((use) => use.userId)
    try {
      // Two independent statements: each is correct on its own, so no transaction is needed.
      await this.sql.query(
        `UPDATE access_keys AS k
         SET last_used = u.at,
             extension_deadline = LEAST(k.expires, GREATEST(k.extension_deadline, u.at + k.extension_ms * interval '1 millisecond'))
         FROM unnest($1::text[], $2::timestamptz[]) AS u(id, at)
         WHERE k.id = u.id AND (k.last_used IS NULL OR k.last_used < u.at)`,
        [keyIds, times],
      )
      await this.sql.query(
        `UPDATE users AS x SET last_seen_at = u.at
         FROM (SELECT id, max(at) AS at FROM unnest($1::text[], $2::timestamptz[]) AS t(id, at) GROUP BY id) AS u
         WHERE x.id = u.id AND (x.last_seen_at IS NULL OR x.last_seen_at < u.at)`,
        [userIds, times],
      )
    } catch (error) {
      // Kept for the next flush (a newer use of the same key supersedes it), so an outage loses no usage.
      for (const use of uses) if (!this.pending.has(use.keyId)) this.pending.set(use.keyId, use)
      this.failures.failed(error, 'could not record key usage')
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    await this.flush()
  }
}
