import { formatDuration, parseDuration } from '@infra/api-types'
import type { AccessKey, Destination, InfraClient, Provider } from '@infra/client-sdk'
import { CliError } from '../lib/context.js'
import { printData, printList, relativeTime } from '../lib/output.js'
import { withSession } from '../lib/session.js'
import { findUser, isNotFound, requireUser } from './lookup.js'
import type { Handler } from './types.js'

export const destinationsList: Handler = async (ctx, args) => {
  await withSession(ctx, args, async ({ client }) => {
    const destinations = await client.destinations.listAll()
    await printList(
      ctx,
      args.format,
      destinations,
      ['name', 'url', 'connected', 'last seen'],
      (d: Destination) => [
        d.name,
        d.connection.url || '-',
        d.connected ? 'yes' : 'no',
        relativeTime(d.lastSeen),
      ],
      'No destinations connected yet: add one with a connector key (infra keys add connector).',
    )
  })
}

export const destinationsRemove: Handler<{ DESTINATION: string; force?: boolean }> = async (ctx, args) => {
  await withSession(ctx, args, async ({ client }) => {
    const found = (await client.destinations.list({ name: args.DESTINATION, limit: 1 })).items[0]
    if (!found) {
      if (args.force) return
      throw new CliError(
        `unknown destination "${args.DESTINATION}"`,
        'see infra destinations list (--force succeeds anyway)',
      )
    }
    try {
      await client.destinations.delete(found.id)
    } catch (error) {
      if (!(isNotFound(error) && args.force)) throw error
    }
    ctx.io.stdout.write(`Removed destination "${found.name}"\n`)
  })
}

function duration(flag: string, text: string): string {
  let ms: number
  try {
    ms = parseDuration(text)
  } catch {
    throw new CliError(
      `invalid duration "${text}" for --${flag}`,
      'use a number and a unit (h, m, s), e.g. 12h, 30m or 720h0m0s',
    )
  }
  if (ms <= 0) throw new CliError(`--${flag} must be longer than 0s`, 'e.g. 12h, 30m or 720h0m0s')
  return formatDuration(ms)
}

const CONNECTOR = 'connector'

/** The user connectors authenticate as, created with the connector role on first use. */
async function connectorUser(client: InfraClient): Promise<string> {
  const existing = await findUser(client, CONNECTOR)
  const id = existing?.id ?? (await client.users.create({ name: CONNECTOR })).id
  await client.grants.create({ user: id, privilege: 'connector', resource: 'infra' })
  return id
}

export const keysAdd: Handler<{
  USER: string
  ttl: string
  extensionDeadline: string
  name?: string
}> = async (ctx, args) => {
  const ttl = duration('ttl', args.ttl)
  const extensionDeadline = duration('extension-deadline', args.extensionDeadline)
  await withSession(ctx, args, async ({ client }) => {
    const userID =
      args.USER === CONNECTOR ? await connectorUser(client) : (await requireUser(client, args.USER)).id
    const key = await client.accessKeys.create({
      userID,
      ttl,
      extensionDeadline,
      ...(args.name ? { name: args.name } : {}),
    })
    if (args.format === 'json' || args.format === 'yaml') return printData(ctx, args.format, key)
    ctx.log.info(
      `Issued access key "${key.name}" for "${key.issuedForName}": it expires ${relativeTime(key.expires)} ` +
        `unless unused for ${args.extensionDeadline}`,
    )
    ctx.log.info('This is the only time it is shown:')
    ctx.io.stdout.write(`${key.accessKey}\n`)
  })
}

export const keysList: Handler<{ user?: string; showExpired?: boolean }> = async (ctx, args) => {
  await withSession(ctx, args, async ({ client }) => {
    const userID = args.user ? (await requireUser(client, args.user)).id : undefined
    const keys = await client.accessKeys.listAll({
      ...(userID ? { userID } : {}),
      ...(args.showExpired ? { showExpired: true } : {}),
    })
    await printList(
      ctx,
      args.format,
      keys,
      ['id', 'name', 'user', 'created', 'last used', 'expires'],
      (key: AccessKey) => [
        key.id,
        key.name,
        key.issuedForName,
        relativeTime(key.created),
        relativeTime(key.lastUsed),
        relativeTime(key.expires),
      ],
      'No access keys.',
    )
  })
}

export const keysRemove: Handler<{ KEY: string; user?: string; force?: boolean }> = async (ctx, args) => {
  await withSession(ctx, args, async ({ client }) => {
    const userID = args.user ? (await requireUser(client, args.user)).id : undefined
    let keys = await client.accessKeys.listAll({
      name: args.KEY,
      showExpired: true,
      ...(userID ? { userID } : {}),
    })
    if (keys.length === 0) {
      const all = await client.accessKeys.listAll({ showExpired: true, ...(userID ? { userID } : {}) })
      keys = all.filter((key) => key.id === args.KEY)
    }
    if (keys.length === 0) {
      if (args.force) return
      throw new CliError(`unknown access key "${args.KEY}"`, 'see infra keys list (--force succeeds anyway)')
    }
    if (keys.length > 1) {
      throw new CliError(
        `${keys.length} access keys are named "${args.KEY}" (of ${keys.map((key) => key.issuedForName).join(', ')})`,
        'pass --user, or the key ID from infra keys list',
      )
    }
    const [key] = keys as [AccessKey]
    try {
      await client.accessKeys.delete(key.id)
    } catch (error) {
      if (!(isNotFound(error) && args.force)) throw error
    }
    ctx.io.stdout.write(`Removed access key "${key.name}" of "${key.issuedForName}"\n`)
  })
}

export const providersList: Handler = async (ctx, args) => {
  await withSession(ctx, args, async ({ client }) => {
    const providers = await client.providers.listAll()
    await printList(
      ctx,
      args.format,
      providers,
      ['name', 'kind', 'url'],
      (p: Provider) => [p.name, p.kind, p.url],
      'No identity providers: connect one with infra providers add.',
    )
  })
}

export const providersAdd: Handler<{
  PROVIDER: string
  url?: string
  clientId?: string
  clientSecret?: string
  kind: 'oidc' | 'okta' | 'azure' | 'google'
}> = async (ctx, args) => {
  const missing = (['url', 'client-id', 'client-secret'] as const).filter(
    (flag) => !{ url: args.url, 'client-id': args.clientId, 'client-secret': args.clientSecret }[flag],
  )
  if (missing.length > 0) {
    throw new CliError(
      `missing ${missing.map((flag) => `--${flag}`).join(', ')}`,
      'see infra providers add --help',
    )
  }
  await withSession(ctx, args, async ({ client }) => {
    try {
      await client.providers.create({
        name: args.PROVIDER,
        url: args.url ?? '',
        clientID: args.clientId ?? '',
        clientSecret: args.clientSecret ?? '',
        kind: args.kind,
      })
    } catch (error) {
      if ((error as { status?: number }).status === 409) {
        throw new CliError(`a provider named "${args.PROVIDER}" already exists`, 'see infra providers list')
      }
      throw error
    }
    ctx.io.stdout.write(`Connected provider "${args.PROVIDER}" (${args.kind}) at ${args.url}\n`)
  })
}

export const providersRemove: Handler<{ PROVIDER: string; force?: boolean }> = async (ctx, args) => {
  await withSession(ctx, args, async ({ client }) => {
    const found = (await client.providers.list({ name: args.PROVIDER, limit: 1 })).items[0]
    if (!found) {
      if (args.force) return
      throw new CliError(
        `unknown provider "${args.PROVIDER}"`,
        'see infra providers list (--force succeeds anyway)',
      )
    }
    try {
      await client.providers.delete(found.id)
    } catch (error) {
      if (!(isNotFound(error) && args.force)) throw error
    }
    ctx.io.stdout.write(`Removed provider "${found.name}"\n`)
  })
}
