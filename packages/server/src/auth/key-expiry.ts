import type { FailureLog } from '../db/availability.js'
import { runEvery, type Periodic } from '../periodic.js'
import type { Database } from '../db/prisma.js'
import { userActor } from '../http/audit-context.js'
import { recordAuditEvent } from '../services/audit.js'

// Enough for a sweep to stay one short transaction; the rest waits for the next round.
const BATCH = 500

interface KeyExpiryOptions {
  /** How often to look for keys that expired. */
  intervalMs: number
  /**
   * How long past its stored deadline a key counts as expired: uses not yet flushed by the key usage tracker
   * (of any replica) may still have slid it forward.
   */
  graceMs: number
}

interface ExpiredKey {
  id: string
  name: string
  user_id: string
  user_name: string
  expires: Date
  extension_deadline: Date
}

/**
 * Records `access-key.expired` once per key, at the first sweep after its expiry or inactivity deadline. Keys
 * expire by the clock, not by a change anyone makes, so a periodic sweep notices them; each key is claimed with
 * SKIP LOCKED and marked in the same transaction as its event, so replicas share the work and none records it
 * twice. The sweep scans the keys not yet recorded rather than use an index on the deadline: the key usage
 * tracker moves that deadline on every flush, and an index on it would cost every flush more than a scan a
 * minute costs.
 */
export class KeyExpiryRecorder {
  private periodic: Periodic | undefined

  constructor(
    private readonly db: Database,
    private readonly failures: FailureLog,
    private readonly options: KeyExpiryOptions,
  ) {}

  start(): void {
    this.periodic = runEvery(
      this.options.intervalMs,
      () => this.recordExpired(),
      (error) => this.failures.failed(error, 'could not record expired access keys'),
    )
  }

  async stop(): Promise<void> {
    await this.periodic?.stop()
  }

  /** Records the keys that expired since the last sweep; answers how many. */
  async recordExpired(): Promise<number> {
    let recorded = 0
    let batch: number
    do {
      batch = await this.recordBatch()
      recorded += batch
    } while (batch === BATCH)
    return recorded
  }

  private recordBatch(): Promise<number> {
    return this.db.$transaction(async (tx) => {
      const keys = await tx.$queryRaw<ExpiredKey[]>`
        UPDATE access_keys k SET expiry_recorded = true
          FROM users u
         WHERE u.id = k.user_id
           AND k.id IN (
             SELECT id FROM access_keys
              WHERE NOT expiry_recorded
                AND LEAST(expires, extension_deadline) <= now() - make_interval(secs => ${this.options.graceMs}::float8 / 1000)
              LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
        RETURNING k.id, k.name, k.user_id, u.name AS user_name, k.expires, k.extension_deadline`
      for (const key of keys) {
        const inactive = key.extension_deadline < key.expires
        await recordAuditEvent(tx, {
          type: 'access-key.expired',
          outcome: 'success',
          // Nobody acted: the event is about its owner, so it is found under their name.
          actor: userActor({ id: key.user_id, name: key.user_name }),
          occurredAt: (inactive ? key.extension_deadline : key.expires).toISOString(),
          target: { kind: 'access-key', id: key.id, name: key.name },
          details: { user: key.user_id, reason: inactive ? 'inactivity' : 'expiry' },
        })
      }
      return keys.length
    })
  }
}
