import type { Logger } from 'pino'
import type { Database, SqlPool } from '../db/prisma.js'
import type { FailureLog } from '../db/availability.js'
import { runEvery, type Periodic } from '../periodic.js'
import { endSession, syncProviderGroups } from '../services/provider-users.js'
import { ProviderSessionEnded, type OidcLogins } from './oidc.js'

const BATCH = 50

interface DueSession {
  access_key_id: string
  user_id: string
  user_name: string
  refresh_token: string
  provider_id: string
  provider_name: string
  provider_url: string
  provider_client_id: string
  provider_client_secret: string
  provider_updated: Date
}

/**
 * Keeps provider logins honest between logins: every `intervalMs` each session that came with a refresh token is
 * checked with its provider. Groups follow what the provider says now, and a session the provider refuses
 * (user removed or disabled) is ended by deleting its access key and the memberships the provider gave, which
 * every replica, the agent and the connectors see at once. Replicas share the work: each claims due sessions with SKIP LOCKED.
 */
export class ProviderSessionRefresher {
  private periodic: Periodic | undefined

  constructor(
    private readonly db: Database,
    private readonly sql: SqlPool,
    private readonly oidc: OidcLogins,
    private readonly logger: Logger,
    private readonly failures: FailureLog,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.periodic = runEvery(
      Math.max(50, this.intervalMs / 4),
      () => this.checkDue(),
      (error) => this.failures.failed(error, 'could not check provider sessions'),
    )
  }

  async stop(): Promise<void> {
    await this.periodic?.stop()
  }

  /** Checks the sessions not checked for `intervalMs`; resolves when they are done. */
  async checkDue(): Promise<void> {
    const { rows } = await this.sql.query<DueSession>(
      `UPDATE provider_sessions s SET checked_at = now()
         FROM providers p, users u
        WHERE p.id = s.provider_id AND u.id = s.user_id
          AND s.access_key_id IN (
            SELECT access_key_id FROM provider_sessions
             WHERE checked_at <= now() - make_interval(secs => $1::float8 / 1000)
             ORDER BY checked_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
        RETURNING s.access_key_id, s.user_id, u.name AS user_name, s.refresh_token, p.id AS provider_id, p.name AS provider_name,
                  p.url AS provider_url,
                  p.client_id AS provider_client_id, p.client_secret AS provider_client_secret,
                  p.updated AS provider_updated`,
      [this.intervalMs],
    )
    await Promise.all(rows.map((row) => this.check(row)))
  }

  private async check(session: DueSession): Promise<void> {
    const provider = {
      id: session.provider_id,
      url: session.provider_url,
      clientID: session.provider_client_id,
      clientSecret: session.provider_client_secret,
      updated: session.provider_updated,
    }
    const user = { id: session.user_id, name: session.user_name }
    try {
      const identity = await this.oidc.refresh(provider, session.refresh_token)
      await syncProviderGroups(
        { db: this.db, logger: this.logger, provider: { id: provider.id, name: session.provider_name } },
        user,
        identity.groups,
      )
      if (identity.sealedRefreshToken && identity.sealedRefreshToken !== session.refresh_token) {
        await this.db.providerSession.updateMany({
          where: { accessKeyId: session.access_key_id },
          data: { refreshToken: identity.sealedRefreshToken },
        })
      }
    } catch (error) {
      if (error instanceof ProviderSessionEnded) {
        const ended = { id: provider.id, name: session.provider_name }
        await endSession(this.db, session.access_key_id, user, ended, error.message)
        this.logger.info(
          { userId: session.user_id, providerId: provider.id, reason: error.message },
          'ended a session its identity provider no longer accepts',
        )
        return
      }
      // The provider could not be asked (down, network): the session stands until the next round.
      this.logger.warn({ err: error, providerId: provider.id }, 'could not check a session with its provider')
    }
  }
}
