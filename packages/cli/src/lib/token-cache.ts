// Kept free of heavy imports: `infra tokens add` answers kubectl from here without loading anything else.
import { withDefaultScheme } from '@infra/api-types/server-url'
import { createHash } from 'node:crypto'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic } from './files.js'

/** A cached token is used until this long before it expires. */
export const REFRESH_MARGIN_MS = 30_000

export interface CachedToken {
  token: string
  expires: string
}

export const tokenCacheDir = (home: string) => join(home, 'cache', 'tokens')

/** One cached token (and one lock) per server, access key and destination. */
export function tokenCachePath(home: string, server: string, keyID: string, destination: string): string {
  const digest = createHash('sha256').update(`${server}\n${keyID}\n${destination}`).digest('hex').slice(0, 32)
  return join(tokenCacheDir(home), `${digest}.json`)
}

/** The arguments kubeconfig entries give the exec plugin after its command: a token for `destination`. */
export function execArgs(destination: string): string[] {
  return ['tokens', 'add', '--destination', destination]
}

export function readCachedToken(path: string, now = Date.now()): CachedToken | undefined {
  let parsed: Partial<CachedToken>
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<CachedToken>
  } catch {
    return undefined
  }
  if (typeof parsed.token !== 'string' || typeof parsed.expires !== 'string') return undefined
  const expires = Date.parse(parsed.expires)
  if (!Number.isFinite(expires) || expires - now <= REFRESH_MARGIN_MS) return undefined
  return { token: parsed.token, expires: parsed.expires }
}

export function writeCachedToken(path: string, token: CachedToken): void {
  writeFileAtomic(path, JSON.stringify(token), 0o600)
}

export function clearTokenCache(home: string): void {
  rmSync(tokenCacheDir(home), { recursive: true, force: true })
}

export const EXEC_API_VERSION = 'client.authentication.k8s.io/v1'

/** The ExecCredential kubectl reads from an exec plugin, in the API version kubectl asked for. */
export function execCredential(token: CachedToken, env: Record<string, string | undefined>): string {
  let apiVersion = EXEC_API_VERSION
  try {
    const info = JSON.parse(env.KUBERNETES_EXEC_INFO ?? '') as { apiVersion?: unknown }
    if (typeof info.apiVersion === 'string' && info.apiVersion.startsWith('client.authentication.k8s.io/')) {
      apiVersion = info.apiVersion
    }
  } catch {
    // kubectl did not say: v1
  }
  return `${JSON.stringify({
    apiVersion,
    kind: 'ExecCredential',
    status: { token: token.token, expirationTimestamp: token.expires },
  })}\n`
}

/** Normalizes what a person (or our kubeconfig) gives as a server closely enough to find it in the config. */
export function quickServerUrl(server: string): string {
  const text = server.trim().replace(/\/+$/, '')
  return withDefaultScheme(text)
}

/** The key ID (public half) of an access key `<keyID>.<secret>`. */
export function keyIdOf(accessKey: string): string {
  return accessKey.split('.')[0] ?? ''
}

/**
 * Answers `infra tokens add --destination NAME` from the cache without loading the rest of the CLI. Returns
 * false when it cannot (no cached token, or arguments other than the ones kubeconfig entries give), and the
 * full command runs instead.
 */
export function tryCachedExecCredential(
  args: string[],
  env: Record<string, string | undefined>,
  home: string,
  write: (text: string) => void,
): boolean {
  const destination = args[3]
  if (destination === undefined || args.join('\n') !== execArgs(destination).join('\n')) return false
  let config: { current?: string; servers?: { url: string; keyID?: string }[] }
  try {
    config = JSON.parse(readFileSync(join(home, 'config'), 'utf8')) as typeof config
  } catch {
    return false
  }
  const server = env.INFRA_SERVER ? quickServerUrl(env.INFRA_SERVER) : config.current
  if (!server) return false
  const keyID = env.INFRA_ACCESS_KEY
    ? keyIdOf(env.INFRA_ACCESS_KEY)
    : config.servers?.find((entry) => entry.url === server)?.keyID
  if (!keyID) return false
  const cached = readCachedToken(tokenCachePath(home, server, keyID, destination))
  if (!cached) return false
  write(execCredential(cached, env))
  return true
}
