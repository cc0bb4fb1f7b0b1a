import type { Database, Prisma } from '../db/prisma.js'
import { TooManyAttemptsError } from '../domain/errors.js'

export interface LoginThrottleOptions {
  /** Failed attempts allowed before the name is locked out. */
  freeAttempts: number
  /** The first lockout; each further failure doubles it, up to maxLockoutMs. */
  baseLockoutMs: number
  maxLockoutMs: number
}

/**
 * Exponential lockout of a user name after repeated failed password logins, kept in Postgres so that every
 * replica enforces the same lock. The check runs before the password is verified, so a locked name cannot be
 * used to test passwords.
 */
export class LoginThrottle {
  constructor(
    private readonly db: Database,
    private readonly options: LoginThrottleOptions,
  ) {}

  async assertNotLocked(name: string, now = new Date()): Promise<void> {
    const row = await this.db.loginFailure.findUnique({ where: { name } })
    if (row?.lockedUntil && row.lockedUntil > now) throw this.lockedError(row.lockedUntil, now)
  }

  /**
   * Counts a failed attempt, in `client`'s transaction when given one; answers the end of the lockout this
   * failure started, if it started one.
   */
  async recordFailure(
    name: string,
    client: Database | Prisma.TransactionClient = this.db,
    now = new Date(),
  ): Promise<Date | undefined> {
    const { freeAttempts, baseLockoutMs, maxLockoutMs } = this.options
    const rows = await client.$queryRaw<{ locked_until: Date | null }[]>`
      INSERT INTO login_failures (name, failures, locked_until, updated)
      VALUES (${name}, 1, NULL, ${now})
      ON CONFLICT (name) DO UPDATE SET
        failures = login_failures.failures + 1,
        updated = ${now},
        locked_until = CASE WHEN login_failures.failures + 1 >= ${freeAttempts}
          THEN ${now}::timestamptz + LEAST(${maxLockoutMs}::float8,
                 ${baseLockoutMs}::float8 * power(2, login_failures.failures + 1 - ${freeAttempts})) * interval '1 millisecond'
          ELSE NULL END
      RETURNING locked_until`
    return rows[0]?.locked_until ?? undefined
  }

  async recordSuccess(name: string): Promise<void> {
    await this.db.loginFailure.deleteMany({ where: { name } })
  }

  private lockedError(until: Date, now: Date): TooManyAttemptsError {
    const seconds = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000))
    return new TooManyAttemptsError(
      `too many failed logins for this user; try again in ${seconds} seconds`,
      seconds,
    )
  }
}
