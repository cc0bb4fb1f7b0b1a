import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { findServer, readConfig } from '../../lib/config.js'
import { CliError, type Context } from '../../lib/context.js'
import { loadLockfile } from '../../lib/modules.js'
import { displayServer, resolveServerUrl, withSession } from '../../lib/session.js'
import {
  execCredential,
  keyIdOf,
  readCachedToken,
  tokenCachePath,
  writeCachedToken,
  type CachedToken,
} from '../../lib/token-cache.js'
import type { ArgsOf } from '../define.js'
import type { command } from './add.js'

const LOCK_OPTIONS = {
  realpath: false,
  // A process holding the lock for longer than this is taken as dead.
  stale: 15_000,
  retries: { retries: 400, factor: 1.2, minTimeout: 10, maxTimeout: 100, randomize: true },
}

/**
 * kubectl's exec credential plugin: prints an ExecCredential with a short-lived token. Tokens are cached
 * (0600) until shortly before they expire, and one process at a time asks the server for a new one, so many
 * kubectl processes starting at once make one request.
 */
export default async function addToken(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  const config = readConfig(ctx.home)
  const url = await resolveServerUrl(ctx, args, config)
  const given = args.accessKey ?? ctx.env.INFRA_ACCESS_KEY
  const keyID = given ? keyIdOf(given) : findServer(config, url)?.keyID
  if (!keyID) {
    throw new CliError(`not logged in to ${displayServer(url)}`, `run infra login ${displayServer(url)}`)
  }
  const path = tokenCachePath(ctx.home, url, keyID)
  const print = (token: CachedToken) => ctx.io.stdout.write(execCredential(token, ctx.env))

  const cached = readCachedToken(path)
  if (cached) return void print(cached)

  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const { lock } = await loadLockfile()
  const release = await lock(path, { ...LOCK_OPTIONS, lockfilePath: `${path}.lock` })
  try {
    // Another process may have fetched one while this one waited for the lock.
    const fresh = readCachedToken(path)
    if (fresh) return void print(fresh)
    const token = await withSession(ctx, args, async ({ client }) => client.createToken())
    writeCachedToken(path, token)
    ctx.log.debug(`cached a token for ${url} until ${token.expires}`)
    print(token)
  } finally {
    await release()
  }
}
