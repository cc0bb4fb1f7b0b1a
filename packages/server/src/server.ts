import { createServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { KeyExpiryRecorder } from './auth/key-expiry.js'
import { KeyUsageTracker } from './auth/key-usage.js'
import { LoginThrottle } from './abuse/login-throttle.js'
import { RateLimiter } from './abuse/rate-limiter.js'
import { CallerCache } from './auth/caller-cache.js'
import { loadRootKey, SecretBox } from './auth/secret-box.js'
import { OidcLogins } from './auth/oidc.js'
import { ProviderSessionRefresher } from './auth/provider-sessions.js'
import { TokenSigner } from './auth/tokens.js'
import { bootstrap } from './bootstrap.js'
import { loadConfigFile, type ConfigFile } from './config.js'
import { DEFAULT_SETTINGS, type ServerContext, type Settings } from './context.js'
import { DatabaseAvailability } from './db/availability.js'
import { applyMigrations } from './db/migrate.js'
import { connectDatabase } from './db/prisma.js'
import { createApp } from './http/app.js'
import { answerClientError, MAX_HEADER_BYTES } from './http/client-error.js'
import { createLogger, type LogLevel, type Logger } from './http/logger.js'
import { UpdateNotifier } from './live/update-notifier.js'
import { handlers } from './routes/index.js'
import { auditChainKey } from './services/audit-chain.js'
import { AuditUpkeep } from './services/audit-upkeep.js'
import { startBanner } from './start-banner.js'
import { servingCertificate, type ServingCertificate, type TlsSetting } from './tls/serving.js'

export interface ServerOptions {
  port: number
  host?: string
  tls: TlsSetting
  /** Postgres to use; without one, an embedded Postgres runs in `dataDir`. */
  databaseUrl?: string | undefined
  dataDir: string
  adminAccessKey?: string | undefined
  configFile?: string | undefined
  logLevel?: LogLevel
  logger?: Logger
  settings?: Partial<Settings>
  databasePoolSize?: number
  keyUsageFlushMs?: number
  rateLimitSyncMs?: number
  tokenLifetimeMs?: number
  tokenKeyRotationMs?: number
  /** Encrypts secrets at rest; else read from (or generated into) rootKeyFile, by default in dataDir. */
  rootKey?: string | undefined
  rootKeyFile?: string | undefined
  /**
   * A worker of `infra-server --workers`: the primary did the one-time work (`prepareForWorkers`: embedded
   * Postgres, migrations, root key, certificate, bootstrap) and prints the start banner.
   */
  worker?: boolean
  /** Checks every answer against its route's schema (an answer off it is a 500): for tests. */
  checkResponses?: boolean
}

export interface RunningServer {
  /** https://…, or http://… with `tls: 'insecure-http'`. */
  url: string
  port: number
  /** The certificate served at start (PEM) and its SHA-256 fingerprint; none over plain HTTP. */
  tls: { certificate: string; fingerprint: string } | undefined
  ctx: ServerContext
  close(): Promise<void>
}

const DEFAULT_TOKEN_LIFETIME_MS = 5 * 60_000
const DEFAULT_KEY_ROTATION_MS = 24 * 3_600_000
const CALLER_CACHE_MAX_AGE_MS = 30_000
const AUDIT_PRUNE_INTERVAL_MS = 3_600_000
/** How long requests still running at shutdown may take before their connections are cut. */
export const SHUTDOWN_GRACE_MS = 5_000

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(options.logLevel ?? 'info')
  // What startup has set going, undone in reverse if a later step fails, so a failed start leaks nothing.
  const undo: (() => unknown)[] = []
  try {
    return await start(options, logger, undo)
  } catch (error) {
    await undoAll(undo)
    throw error
  }
}

async function undoAll(undo: (() => unknown)[]): Promise<void> {
  for (const step of undo.reverse()) await Promise.resolve(step()).catch(() => undefined)
}

async function start(
  options: ServerOptions,
  logger: Logger,
  undo: (() => unknown)[],
): Promise<RunningServer> {
  const { certificate, databaseUrl, config, rootKey } = await prepare(options, logger, undo)
  const database = new DatabaseAvailability(logger, { probe: () => connections.sql.query('SELECT 1') })
  undo.push(() => database.stop())
  const connections = connectDatabase(databaseUrl, options.databasePoolSize ?? 10, database)
  const { db, sql } = connections
  undo.push(() => connections.close())
  const keyUsageFlushMs = options.keyUsageFlushMs ?? 5_000
  const usage = new KeyUsageTracker(sql, database, keyUsageFlushMs)
  const box = new SecretBox(rootKey)
  const tokens = new TokenSigner(db, box, database, {
    issuer: 'infra',
    lifetimeMs: options.tokenLifetimeMs ?? DEFAULT_TOKEN_LIFETIME_MS,
    rotationMs: options.tokenKeyRotationMs ?? DEFAULT_KEY_ROTATION_MS,
  })
  await tokens.start()
  undo.push(() => tokens.stop())
  const settings = { ...DEFAULT_SETTINGS, ...options.settings }
  const rateLimiter = new RateLimiter(sql, database, {
    limit: settings.rateLimitPerMinute,
    windowMs: 60_000,
    syncMs: options.rateLimitSyncMs ?? 1_000,
  })
  rateLimiter.start()
  undo.push(() => rateLimiter.stop())
  const callers = new CallerCache(sql, CALLER_CACHE_MAX_AGE_MS)
  const updates = new UpdateNotifier(databaseUrl, database, {
    onChange: (scopes) => callers.invalidate(scopes),
    onReconnect: () => callers.clear(),
  })
  undo.push(() => updates.stop())
  await updates.start()
  const oidc = new OidcLogins(box)
  const audit = new AuditUpkeep(sql, auditChainKey(rootKey), database, {
    retentionMs: settings.auditRetentionMs,
    sealIntervalMs: settings.auditSealIntervalMs,
    pruneIntervalMs: AUDIT_PRUNE_INTERVAL_MS,
  })
  audit.start()
  undo.push(() => audit.stop())
  const ctx: ServerContext = {
    db,
    sql,
    database,
    logger,
    usage,
    callers,
    tokens,
    oidc,
    secrets: box,
    updates,
    audit,
    rateLimiter,
    loginThrottle: new LoginThrottle(db, settings.loginThrottle),
    settings,
    checkResponses: options.checkResponses ?? false,
  }
  const { firstStartAdminKey } = options.worker
    ? { firstStartAdminKey: undefined }
    : await bootstrap(db, { adminAccessKey: options.adminAccessKey, config })
  usage.start()
  undo.push(() => usage.stop())
  const providerSessions = new ProviderSessionRefresher(
    db,
    sql,
    oidc,
    logger,
    database,
    settings.providerSessionCheckMs,
  )
  providerSessions.start()
  undo.push(() => providerSessions.stop())
  const keyExpiry = new KeyExpiryRecorder(db, database, {
    intervalMs: settings.keyExpiryCheckMs,
    // A few flushes: a use one of them carries may still slide a key's deadline.
    graceMs: 3 * keyUsageFlushMs,
  })
  keyExpiry.start()
  undo.push(() => keyExpiry.stop())

  let ready = false
  const app = createApp(ctx, handlers, () => ready)
  const server = listener(certificate, app, undo)
  server.on('clientError', answerClientError)
  // Without a host, every address (IPv6 too, where the machine has it: `localhost` may resolve to ::1 first).
  server.listen(options.port, options.host)
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  ready = true
  const { port } = server.address() as AddressInfo
  const url = `${certificate ? 'https' : 'http'}://${options.host ?? '127.0.0.1'}:${port}`
  if (certificate) {
    logger.info({ port, fingerprint: certificate.fingerprint }, 'infra server listening (HTTPS)')
  } else {
    logger.warn(
      { port },
      'infra server listening on plain HTTP (--insecure-http): access keys and passwords cross the network ' +
        'in clear unless a proxy in front terminates TLS',
    )
  }
  if (!options.worker) writeStartBanner(port, certificate, firstStartAdminKey)

  let closing: Promise<void> | undefined
  const close = () =>
    (closing ??= (async () => {
      ready = false
      // Waiting long polls answer now (nothing changed: 304) instead of holding the shutdown.
      await updates.stop()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
        // Requests still running after the grace period are cut off rather than holding the shutdown.
        setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref()
      })
      for (const step of undo.reverse()) await step()
      logger.info('infra server stopped')
    })())
  const tls = certificate && { certificate: certificate.certificate, fingerprint: certificate.fingerprint }
  return { url, port, tls, ctx, close }
}

/** An HTTPS server that follows its certificate's files, or a plain HTTP one. */
function listener(
  certificate: ServingCertificate | undefined,
  app: ReturnType<typeof createApp>,
  undo: (() => unknown)[],
): Server {
  const options = { maxHeaderSize: MAX_HEADER_BYTES }
  if (!certificate) return createServer(options, app)
  const server = createHttpsServer({ ...options, cert: certificate.certificate, key: certificate.key }, app)
  undo.push(certificate.follow((pair) => server.setSecureContext({ cert: pair.certificate, key: pair.key })))
  return server
}

/** What the server reads, generates or starts before it connects; a worker finds the one-time part done. */
async function prepare(options: ServerOptions, logger: Logger, undo: (() => unknown)[]) {
  const certificate =
    options.tls === 'insecure-http'
      ? undefined
      : await servingCertificate(options.tls, options.dataDir, logger)
  let databaseUrl = options.databaseUrl
  if (!databaseUrl) {
    if (options.worker) throw new Error('a worker needs the database URL of its primary')
    // Imported only when used, so that a worker, or a server on a Postgres of its own, loads neither the library
    // nor the signal handlers it installs (which stop Postgres and exit at once).
    const { startEmbeddedPostgres } = await import('@infra/embedded-postgres')
    const started = await startEmbeddedPostgres({
      dataDir: join(options.dataDir, 'postgres'),
      persistent: true,
    })
    undo.push(() => started.stop())
    databaseUrl = started.adminUrl
    logger.info({ dataDir: options.dataDir }, 'started embedded Postgres')
  }
  let config: ConfigFile = { users: [] }
  if (!options.worker) {
    if (options.configFile) config = await loadConfigFile(options.configFile)
    const migrated = await applyMigrations(databaseUrl)
    if (migrated.length > 0) logger.info({ migrations: migrated }, 'applied database migrations')
  }
  const rootKey = await loadRootKey({
    rootKey: options.rootKey,
    rootKeyFile: options.rootKeyFile ?? join(options.dataDir, 'root.key'),
  })
  return { certificate, databaseUrl, config, rootKey }
}

/** Outside the JSON log: it may hold the one time a secret is shown, to the person starting the server. */
function writeStartBanner(
  port: number,
  certificate: ServingCertificate | undefined,
  firstStartAdminKey: string | undefined,
): void {
  const banner = startBanner({
    port,
    firstStartAdminKey,
    selfSignedFingerprint: certificate?.selfSigned ? certificate.fingerprint : undefined,
    secure: certificate !== undefined,
  })
  if (banner) process.stderr.write(banner)
}

export interface PreparedForWorkers {
  /** The database the workers connect to: the given one, or the embedded Postgres the primary runs. */
  databaseUrl: string
  /** Prints the start banner once, when the workers listen on `port`. */
  announce(port: number): void
  /** Stops the embedded Postgres, after the workers have stopped. */
  close(): Promise<void>
}

/**
 * The primary of `infra-server --workers`: the one-time work of a start (embedded Postgres, migrations, root key,
 * certificate, bootstrap of the admin key and the config file), done once before the workers are forked.
 */
export async function prepareForWorkers(options: ServerOptions): Promise<PreparedForWorkers> {
  const logger = options.logger ?? createLogger(options.logLevel ?? 'info')
  const undo: (() => unknown)[] = []
  try {
    const { certificate, databaseUrl, config } = await prepare(options, logger, undo)
    const failures = { failed: (err: unknown, msg: string) => logger.warn({ err }, msg) }
    const connections = connectDatabase(databaseUrl, 1, failures)
    const { firstStartAdminKey } = await bootstrap(connections.db, {
      adminAccessKey: options.adminAccessKey,
      config,
    }).finally(() => connections.close())
    return {
      databaseUrl,
      announce: (port) => writeStartBanner(port, certificate, firstStartAdminKey),
      close: () => undoAll(undo),
    }
  } catch (error) {
    await undoAll(undo)
    throw error
  }
}
