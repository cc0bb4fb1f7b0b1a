import { findServer, readConfig, writeConfig, type ServerEntry } from '../lib/config.js'
import { stopBackgroundAgent } from '../lib/background-agent.js'
import { CliError, type Context } from '../lib/context.js'
import { syncKubeconfig } from '../lib/kubeconfig.js'
import { deleteAccessKey, loadAccessKey } from '../lib/secrets.js'
import { createClient, displayServer, normalizeServer } from '../lib/session.js'
import { clearTokenCache } from '../lib/token-cache.js'
import type { ArgsOf } from './define.js'
import type { command } from './logout.js'

async function logoutOf(ctx: Context, entry: ServerEntry): Promise<void> {
  if (entry.keyID) {
    const key = await loadAccessKey(ctx, entry)
    if (key) {
      const client = await createClient({ url: entry.url, log: ctx.log, accessKey: key, entry })
      try {
        await client.logout({ retry: 0, timeout: 10_000 })
        ctx.log.debug(`revoked the access key on ${entry.url}`)
      } catch (error) {
        ctx.log.debug(`could not revoke the access key on ${entry.url}: ${(error as Error).message}`)
      } finally {
        await client.close()
      }
    }
    await deleteAccessKey(ctx, entry)
  }
  try {
    await syncKubeconfig(ctx, entry.url, [])
  } catch (error) {
    ctx.log.warn(
      `could not remove the kubeconfig entries of ${displayServer(entry.url)}: ${(error as Error).message}`,
    )
  }
}

export default async function logout(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  if (args.SERVER && args.all) {
    throw new CliError('[SERVER] and [--all] cannot be both specified', 'choose either one server or --all')
  }
  const config = readConfig(ctx.home)
  let targets: ServerEntry[]
  if (args.all) {
    targets = [...config.servers]
  } else {
    const named = args.SERVER ?? args.server ?? ctx.env.INFRA_SERVER
    const url = named ? await normalizeServer(named) : config.current
    const entry = url ? findServer(config, url) : undefined
    if (!entry) {
      if (named)
        throw new CliError(
          `${displayServer(url ?? named)} is not in the list of servers`,
          'see ~/.infra/config, or infra logout --all',
        )
      ctx.log.info('Not logged in to any server')
      return
    }
    targets = [entry]
  }
  // The background agent follows the current server.
  if (targets.some((entry) => entry.url === config.current)) stopBackgroundAgent(ctx)
  for (const entry of targets) {
    const wasLoggedIn = entry.keyID !== undefined
    await logoutOf(ctx, entry)
    if (args.clear) {
      config.servers = config.servers.filter((other) => other.url !== entry.url)
      if (config.current === entry.url) delete config.current
    }
    ctx.log.info(
      `${wasLoggedIn ? 'Logged out of' : 'Not logged in to'} ${displayServer(entry.url)}${args.clear ? ' (removed from the list of servers)' : ''}`,
    )
  }
  writeConfig(ctx.home, config)
  clearTokenCache(ctx.home)
}
