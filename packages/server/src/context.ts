import type { LoginThrottle, LoginThrottleOptions } from './abuse/login-throttle.js'
import type { RateLimiter } from './abuse/rate-limiter.js'
import type { CallerCache } from './auth/caller-cache.js'
import type { SecretBox } from './auth/secret-box.js'
import type { KeyUsageTracker } from './auth/key-usage.js'
import type { OidcLogins } from './auth/oidc.js'
import type { TokenSigner } from './auth/tokens.js'
import type { DatabaseAvailability } from './db/availability.js'
import type { Database, SqlPool } from './db/prisma.js'
import type { AccessLog } from './http/access-log.js'
import type { Logger } from './http/logger.js'
import type { UpdateNotifier } from './live/update-notifier.js'
import type { AuditUpkeep } from './services/audit-upkeep.js'

export interface Settings {
  /** Lifetime and inactivity window of keys made by `POST /api/login`. */
  sessionTtlMs: number
  sessionExtensionMs: number
  /** Defaults for `POST /api/access-keys`. */
  accessKeyTtlMs: number
  accessKeyExtensionMs: number
  /** A destination whose connector has not been heard from for this long shows as disconnected. */
  destinationConnectedWindowMs: number
  /** How long a long poll waits for a change before answering 304. */
  longPollTimeoutMs: number
  maxLongPollsPerKey: number
  /** Requests per access key per minute, over all replicas. */
  rateLimitPerMinute: number
  /** Ordinary requests (not long polls) still unanswered after this get a 503. */
  requestTimeoutMs: number
  loginThrottle: LoginThrottleOptions
  /** How often to look for access keys that expired, to record each in the audit log. */
  keyExpiryCheckMs: number
  /** How often sessions from a provider login (with a refresh token) are checked with the provider. */
  providerSessionCheckMs: number
  /** Which requests get an access log line (at info level). */
  accessLog: AccessLog
  /** Audit events stored longer ago than this are removed (hourly, in small batches). */
  auditRetentionMs: number
  /** How often new audit events are sealed into the chain: how late the export stream may be. */
  auditSealIntervalMs: number
}

export const DEFAULT_SETTINGS: Settings = {
  sessionTtlMs: 12 * 3_600_000,
  sessionExtensionMs: 3 * 3_600_000,
  accessKeyTtlMs: 720 * 3_600_000,
  accessKeyExtensionMs: 720 * 3_600_000,
  destinationConnectedWindowMs: 2 * 60_000,
  longPollTimeoutMs: 5 * 60_000,
  maxLongPollsPerKey: 20,
  rateLimitPerMinute: 3_000,
  requestTimeoutMs: 30_000,
  loginThrottle: { freeAttempts: 5, baseLockoutMs: 30_000, maxLockoutMs: 15 * 60_000 },
  keyExpiryCheckMs: 60_000,
  providerSessionCheckMs: 5 * 60_000,
  accessLog: 0.1,
  auditRetentionMs: 365 * 86_400_000,
  auditSealIntervalMs: 500,
}

/** What every handler can reach: the database and the process-wide services. */
export interface ServerContext {
  db: Database
  sql: SqlPool
  /** Whether the database can be reached: readiness, and one log line per outage. */
  database: DatabaseAvailability
  logger: Logger
  usage: KeyUsageTracker
  callers: CallerCache
  tokens: TokenSigner
  /** Logins through OpenID Connect providers. */
  oidc: OidcLogins
  /** Seals secrets kept in the database under the root key. */
  secrets: SecretBox
  updates: UpdateNotifier
  /** The audit log's chain, sealing and retention. */
  audit: AuditUpkeep
  rateLimiter: RateLimiter
  loginThrottle: LoginThrottle
  settings: Settings
  /** Whether every answer is checked against its route's schema before it is sent: in tests, not in production. */
  checkResponses: boolean
}
