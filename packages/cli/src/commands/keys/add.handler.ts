import { CONNECTOR_USER_NAME, formatDuration, parseDuration } from '@infra/api-types'
import { CliError, type Context } from '../../lib/context.js'
import { requireUser } from '../../lib/lookup.js'
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

export default async function addKey(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  const expiry = duration('ttl', args.ttl)
  const inactivityTimeout = duration('extension-deadline', args.extensionDeadline)
  // `connector` as the user still works, as the command was written before --connector.
  const userName = args.connector ? CONNECTOR_USER_NAME : args.USER
  if (userName === undefined || userName === '') {
    throw new CliError('name the user the key is for, or pass --connector', 'e.g. infra keys add --connector')
  }
  await withSession(ctx, args, async ({ client }) => {
    const userID = (await requireUser(client, userName)).id
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
