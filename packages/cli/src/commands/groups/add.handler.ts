import { CliError, type Context } from '../../lib/context.js'
import { apiStatus } from '../../lib/sdk-errors.js'
import { withSession } from '../../lib/session.js'
import type { ArgsOf } from '../define.js'
import type { command } from './add.js'

export default async function addGroup(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  await withSession(ctx, args, async ({ client }) => {
    try {
      await client.groups.create({ name: args.GROUP })
    } catch (error) {
      if (apiStatus(error) === 409) {
        throw new CliError(`a group named "${args.GROUP}" already exists`, 'see infra groups list')
      }
      throw error
    }
    ctx.io.stdout.write(`Added group "${args.GROUP}"\n`)
  })
}
