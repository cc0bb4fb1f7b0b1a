import { CliError, type Context } from '../../lib/context.js'
import { printData } from '../../lib/output.js'
import { apiStatus } from '../../lib/sdk-errors.js'
import { withSession } from '../../lib/session.js'
import type { ArgsOf } from '../define.js'
import type { command } from './add.js'

export default async function addUser(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  await withSession(ctx, args, async ({ client }) => {
    let created
    try {
      created = await client.users.create({ name: args.USER })
    } catch (error) {
      if (apiStatus(error) === 409) {
        throw new CliError(`a user named "${args.USER}" already exists`, 'see infra users list')
      }
      throw error
    }
    if (args.format === 'json' || args.format === 'yaml') return printData(ctx, args.format, created)
    ctx.io.stdout.write(`Added user "${created.name}"\n`)
    if (created.oneTimePassword) {
      ctx.io.stdout.write(`One-time password: ${created.oneTimePassword}\n`)
      ctx.log.info('They must change it when they first log in (infra login).')
    }
  })
}
