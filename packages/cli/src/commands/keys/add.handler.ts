import { formatDuration, parseDuration } from '@infra/api-types'
import type { InfraClient } from '@infra/client-sdk'
import { CliError, type Context } from '../../lib/context.js'
import { findUser, requireUser } from '../../lib/lookup.js'
import { printData, relativeTime } from '../../lib/output.js'
import { withSession } from '../../lib/session.js'
import type { ArgsOf } from '../define.js'
import type { command } from './add.js'

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

export default async function addKey(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  const expiry = duration('ttl', args.ttl)
  const inactivityTimeout = duration('extension-deadline', args.extensionDeadline)
  await withSession(ctx, args, async ({ client }) => {
    const userID =
      args.USER === CONNECTOR ? await connectorUser(client) : (await requireUser(client, args.USER)).id
    const key = await client.accessKeys.create({
      userID,
      expiry,
      inactivityTimeout,
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
