import type { InfraClient } from '@infra/client-sdk'
import { findServer, readConfig, writeConfig, type ConfigFile, type ServerEntry } from './config.js'
import { CliError, type Context, type Logger } from './context.js'
import { toCliError } from './errors.js'
import { apiStatus } from './sdk-errors.js'
import { deleteAccessKey, loadAccessKey } from './secrets.js'
import { clearTokenCache } from './token-cache.js'
import { CLI_VERSION } from './version.js'

export interface SessionArgs {
  server?: string | undefined
  accessKey?: string | undefined
  skipTlsVerify?: boolean | undefined
}

export interface Session {
  url: string
  entry: ServerEntry | undefined
  config: ConfigFile
  /** Where the key came from: a flag or variable (not ours to clear), or the stored login. */
  keySource: 'argument' | 'stored'
  accessKey: string
  client: InfraClient
}

/** Normalizes a server the way the SDK does, as a CliError on bad input. */
export async function normalizeServer(server: string): Promise<string> {
  const { parseServerUrl } = await import('@infra/client-sdk')
  try {
    return parseServerUrl(server)
  } catch (error) {
    throw new CliError((error as Error).message, 'give a host, host:port or URL, e.g. infra.example.com')
  }
}

/** The server a command talks to: --server, INFRA_SERVER, or the current one. */
export async function resolveServerUrl(ctx: Context, args: SessionArgs, config: ConfigFile) {
  const given = args.server ?? ctx.env.INFRA_SERVER
  if (given) return normalizeServer(given)
  if (config.current) return config.current
  throw new CliError('not logged in to any server', 'run infra login (or pass --server and --access-key)')
}

export interface ClientOptions {
  url: string
  /** Where a retry is announced: once per run, on stderr, as "the server cannot reach its database, retrying". */
  log: Logger
  accessKey?: string | undefined
  entry?: ServerEntry | undefined
  skipTlsVerify?: boolean | undefined
}

export async function createClient(options: ClientOptions): Promise<InfraClient> {
  const { InfraClient } = await import('@infra/client-sdk')
  const skip = options.skipTlsVerify === true || options.entry?.skipTLSVerify === true
  return new InfraClient({
    server: options.url,
    ...(options.accessKey === undefined ? {} : { accessKey: options.accessKey }),
    userAgent: `infra-cli/${CLI_VERSION}`,
    onRetry: (error) => options.log.warnOnce('retrying', `${toCliError(error).message}, retrying`),
    ...(skip ? { skipTLSVerify: true } : {}),
    ...(!skip && options.entry?.trustedCertificate
      ? { trustedCertificate: options.entry.trustedCertificate }
      : {}),
  })
}

/** The server, access key and client for a command that needs to be logged in. */
export async function openSession(ctx: Context, args: SessionArgs): Promise<Session> {
  const config = readConfig(ctx.home)
  const url = await resolveServerUrl(ctx, args, config)
  const entry = findServer(config, url)
  const given = args.accessKey ?? ctx.env.INFRA_ACCESS_KEY
  let accessKey = given
  if (!accessKey && entry?.keyID) accessKey = await loadAccessKey(ctx, entry)
  if (!accessKey) {
    throw new CliError(`not logged in to ${url}`, `run infra login ${displayServer(url)}`)
  }
  ctx.log.debug(`using ${url} with ${given ? 'the given access key' : `the stored login of ${entry?.user}`}`)
  const client = await createClient({
    url,
    log: ctx.log,
    accessKey,
    entry,
    skipTlsVerify: args.skipTlsVerify,
  })
  return { url, entry, config, keySource: given ? 'argument' : 'stored', accessKey, client }
}

/** How a server is shown to people: the host (and port), or the full URL for plain http. */
export function displayServer(url: string): string {
  return url.startsWith('https://') ? url.slice('https://'.length) : url
}

/** Forgets a stored key the server no longer accepts. */
export async function forgetStoredKey(ctx: Context, url: string): Promise<void> {
  const config = readConfig(ctx.home)
  const entry = findServer(config, url)
  if (!entry?.keyID) return
  await deleteAccessKey(ctx, entry)
  writeConfig(ctx.home, config)
  clearTokenCache(ctx.home)
}

/**
 * Runs `work` with a logged-in client. A 401 (expired or revoked key) clears the stored key and asks the user
 * to log in again.
 */
export async function withSession<T>(
  ctx: Context,
  args: SessionArgs,
  work: (session: Session) => Promise<T>,
): Promise<T> {
  const session = await openSession(ctx, args)
  try {
    return await work(session)
  } catch (error) {
    if (apiStatus(error) === 401) {
      if (session.keySource === 'stored') {
        await forgetStoredKey(ctx, session.url)
        throw new CliError(
          `your session on ${displayServer(session.url)} has expired or was revoked`,
          `run infra login ${displayServer(session.url)} to log in again`,
        )
      }
      throw new CliError(
        `${displayServer(session.url)} did not accept the access key (expired, revoked or mistyped)`,
        'check --access-key / INFRA_ACCESS_KEY, or run infra login',
      )
    }
    throw error
  } finally {
    await session.client.close()
  }
}
