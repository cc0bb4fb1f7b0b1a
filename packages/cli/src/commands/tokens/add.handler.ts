import { runningAgent } from '@infra/agent'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { refreshKubeconfig } from '../../lib/access.js'
import { startBackgroundAgent } from '../../lib/background-agent.js'
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
 * kubectl's exec credential plugin: prints an ExecCredential with a short-lived token for one destination.
 * Tokens are cached (0600) per destination until shortly before they expire, and one process at a time asks
 * the server for a destination's new one, so kubectl processes starting at once on N clusters make N requests.
 */
export default async function addToken(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  const config = readConfig(ctx.home)
  const url = await resolveServerUrl(ctx, args, config)
  const given = args.accessKey ?? ctx.env.INFRA_ACCESS_KEY
  const keyID = given ? keyIdOf(given) : findServer(config, url)?.keyID
  if (!keyID) {
    throw new CliError(`not logged in to ${displayServer(url)}`, `run infra login ${displayServer(url)}`)
  }
  const print = (token: CachedToken) => ctx.io.stdout.write(execCredential(token, ctx.env))
  const destination = args.destination
  if (destination === undefined) return answerOlderEntry(ctx, args, url, print)
  // The server reads an empty destination as none, as it reads Infra's own clients.
  if (destination === '') throw new CliError('--destination needs a name', 'see infra list for yours')
  const path = tokenCachePath(ctx.home, url, keyID, destination)

  const cached = readCachedToken(path)
  if (cached) return void print(cached)

  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const { lock } = await loadLockfile()
  const release = await lock(path, { ...LOCK_OPTIONS, lockfilePath: `${path}.lock` })
  try {
    // Another process may have fetched one while this one waited for the lock.
    const fresh = readCachedToken(path)
    if (fresh) return void print(fresh)
    const token = await withSession(ctx, args, async ({ client }) => client.createToken(destination))
    writeCachedToken(path, token)
    ctx.log.debug(`cached a token for ${destination} on ${url} until ${token.expires}`)
    print(token)
  } finally {
    await release()
  }
}

/**
 * Kubeconfig entries written by an older CLI run `infra tokens add` without a destination, and no connector
 * of this project accepts a token for none. Such an entry still gets one (Infra's own Go connectors take it),
 * and has Infra's entries rewritten to name their destinations, so the next kubectl works: here at once, and
 * by a fresh background agent in place of one started before the upgrade, which would write the old form again.
 */
async function answerOlderEntry(
  ctx: Context,
  args: ArgsOf<typeof command>,
  url: string,
  print: (token: CachedToken) => void,
): Promise<void> {
  await withSession(ctx, args, async ({ client }) => {
    print(await client.api.createToken({}))
    const { change } = await refreshKubeconfig(ctx, url, client)
    if (runningAgent(ctx.home) !== undefined) startBackgroundAgent(ctx, url)
    ctx.log.warn(
      `this kubectl entry, written by an older Infra CLI, names no destination; Infra's entries in ${change.path} ` +
        'now do (if kubectl was refused, run it again)',
    )
  })
}
