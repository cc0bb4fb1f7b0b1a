import type { KeyUsageTracker } from './auth/key-usage.js'
import type { TokenSigner } from './auth/tokens.js'
import type { Database } from './db/prisma.js'
import type { Logger } from './http/logger.js'
import type { UpdateNotifier } from './live/update-notifier.js'

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
}

export const DEFAULT_SETTINGS: Settings = {
  sessionTtlMs: 12 * 3_600_000,
  sessionExtensionMs: 3 * 3_600_000,
  accessKeyTtlMs: 720 * 3_600_000,
  accessKeyExtensionMs: 720 * 3_600_000,
  destinationConnectedWindowMs: 2 * 60_000,
  longPollTimeoutMs: 5 * 60_000,
  maxLongPollsPerKey: 20,
}

/** What every handler can reach: the database and the process-wide services. */
export interface ServerContext {
  db: Database
  logger: Logger
  usage: KeyUsageTracker
  tokens: TokenSigner
  updates: UpdateNotifier
  settings: Settings
}
