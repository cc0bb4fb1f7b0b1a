import { API_VERSION, parseResource } from '@infra/api-types'
import { contextName } from '@infra/agent'
import { accessEntries, listAccess, refreshKubeconfig } from '../lib/access.js'
import { findServer, readConfig, writeConfig, type ServerEntry } from '../lib/config.js'
import { CliError, type Context } from '../lib/context.js'
import { syncKubeconfig } from '../lib/kubeconfig.js'
import { printData, printList, relativeTime } from '../lib/output.js'
import { deleteAccessKey, loadAccessKey } from '../lib/secrets.js'
import {
  createClient,
  displayServer,
  normalizeServer,
  resolveServerUrl,
  withSession,
} from '../lib/session.js'
import { clearTokenCache } from '../lib/token-cache.js'
import { CLI_VERSION } from '../lib/version.js'
import { stopBackgroundAgent } from './agent.js'
import type { Handler } from './types.js'

async function logoutOf(ctx: Context, entry: ServerEntry): Promise<void> {
  if (entry.keyID) {
    const key = await loadAccessKey(ctx, entry)
    if (key) {
      const client = await createClient({ url: entry.url, accessKey: key, entry })
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

export const logout: Handler<{ SERVER?: string; all?: boolean; clear?: boolean }> = async (ctx, args) => {
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

export const list: Handler = async (ctx, args) => {
  await withSession(ctx, args, async ({ url, client }) => {
    const { access } = await refreshKubeconfig(ctx, url, client)
    const rows = access.map((item) => ({
      name: item.resource,
      roles: item.roles,
      connected: item.registered?.connected ?? false,
      kubeContext: contextName(item.destination, item.namespace),
    }))
    await printList(
      ctx,
      args.format,
      rows,
      ['name', 'access', 'connected'],
      (row) => [row.name, row.roles.join(', '), row.connected ? 'yes' : 'no'],
      'You have no access to any destination yet: ask an admin for a grant (infra grants add).',
    )
  })
}

export const use: Handler<{ DESTINATION: string }> = async (ctx, args) => {
  const parsed = parseResource(args.DESTINATION)
  if (!parsed.ok)
    throw new CliError(
      `invalid destination "${args.DESTINATION}": ${parsed.error}`,
      'use DESTINATION or DESTINATION.NAMESPACE',
    )
  await withSession(ctx, args, async ({ url, client }) => {
    const access = await listAccess(client)
    const wanted = contextName(parsed.value.destination, parsed.value.namespace)
    const match = access.find((item) => item.resource === args.DESTINATION)
    const entries = accessEntries(access)
    const usable = entries.some((entry) => contextName(entry.destination, entry.namespace) === wanted)
    await syncKubeconfig(ctx, url, entries, {
      command: ctx.env.INFRA_EXEC_COMMAND || 'infra',
      ...(usable ? { useContext: wanted } : {}),
    })
    if (!match) {
      throw new CliError(
        `you have no access to ${args.DESTINATION}`,
        'see infra list for the destinations you can use',
      )
    }
    if (!usable) {
      throw new CliError(
        `${args.DESTINATION} has not been connected to Infra yet`,
        'ask an admin to connect it (infra keys add connector)',
      )
    }
    ctx.log.info(`Switched to ${ctx.style.bold(wanted)}`)
  })
}

export const info: Handler = async (ctx, args) => {
  await withSession(ctx, args, async ({ url, client, entry }) => {
    const user = await client.users.get('self')
    const [groups, grants] = await Promise.all([
      client.groups.listAll({ userID: user.id }),
      client.grants.listAll({ user: 'self', showInherited: true, resource: 'infra' }),
    ])
    const data = {
      server: url,
      user: { id: user.id, name: user.name },
      groups: groups.map((group) => group.name),
      roles: [...new Set(grants.map((grant) => grant.privilege))],
      ...(entry?.expires ? { expires: entry.expires } : {}),
    }
    if (args.format === 'json' || args.format === 'yaml') return printData(ctx, args.format, data)
    const lines = [
      ['Server:', displayServer(url)],
      ['User:', `${user.name} (${user.id})`],
      ['Groups:', data.groups.join(', ') || '(none)'],
      ['Roles:', data.roles.join(', ') || '(none)'],
      ...(entry?.expires ? [['Session expires:', relativeTime(entry.expires)]] : []),
    ]
    const width = Math.max(...lines.map(([label]) => (label ?? '').length)) + 1
    ctx.io.stdout.write(lines.map(([label, value]) => `${(label ?? '').padEnd(width)}${value}\n`).join(''))
  })
}

export const version: Handler = async (ctx, args) => {
  let server: string | undefined
  const config = readConfig(ctx.home)
  const url =
    args.server || ctx.env.INFRA_SERVER || config.current
      ? await resolveServerUrl(ctx, args, config)
      : undefined
  if (url) {
    const client = await createClient({ url, entry: findServer(config, url) })
    try {
      server = (await client.version({ retry: 0, timeout: 5_000 })).version
    } catch (error) {
      ctx.log.debug(`could not ask ${url} for its version: ${(error as Error).message}`)
    } finally {
      await client.close()
    }
  }
  if (args.format === 'json' || args.format === 'yaml') {
    return printData(ctx, args.format, {
      client: CLI_VERSION,
      ...(server ? { server } : {}),
      api: API_VERSION,
    })
  }
  ctx.io.stdout.write(
    `Client: ${CLI_VERSION}\n${url ? `Server: ${server ?? 'not reachable'}\n` : ''}API:    ${API_VERSION}\n`,
  )
}

export const about: Handler = async (ctx) => {
  ctx.io.stdout.write(
    [
      `Infra ${CLI_VERSION} (API ${API_VERSION})`,
      '',
      'Infra is access management for Kubernetes: run one Infra server, then `infra login` once to get',
      'short-lived kubectl access to every cluster you are granted. Admins grant and revoke access in one',
      'place (infra grants add / remove), and it takes effect in the clusters within a second.',
      '',
      'Your login is kept in the OS keyring (or ~/.infra/credentials when there is none), settings in',
      '~/.infra/config, and kubectl contexts named infra:<destination> in your kubeconfig.',
      '',
      'Licensed under the Apache License 2.0.',
      '',
    ].join('\n'),
  )
}
