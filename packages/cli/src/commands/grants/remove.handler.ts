import { CliError, type Context } from '../../lib/context.js'
import { findGroup, findUser } from '../../lib/lookup.js'
import { apiStatus } from '../../lib/sdk-errors.js'
import { withSession } from '../../lib/session.js'
import type { ArgsOf } from '../define.js'
import type { command } from './remove.js'
import { parseDestination } from './destination.js'

export default async function removeGrant(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  parseDestination(args.DESTINATION)
  await withSession(ctx, args, async ({ client }) => {
    const subject = args.group ? await findGroup(client, args.USER) : await findUser(client, args.USER)
    if (!subject) {
      if (args.force) return
      throw new CliError(
        `unknown ${args.group ? 'group' : 'user'} "${args.USER}"`,
        `see infra ${args.group ? 'groups' : 'users'} list`,
      )
    }
    const grants = await client.grants.listAll({
      ...(args.group ? { group: subject.id } : { user: subject.id }),
      resource: args.DESTINATION,
      ...(args.role ? { privilege: args.role } : {}),
      showSystem: true,
    })
    if (grants.length === 0) {
      if (args.force) return
      throw new CliError(
        `"${args.USER}" has no ${args.role ? `${args.role} ` : ''}grant on ${args.DESTINATION}`,
        'see infra grants list (--force succeeds anyway)',
      )
    }
    for (const grant of grants) {
      try {
        await client.grants.delete(grant.id)
      } catch (error) {
        if (apiStatus(error) !== 404) throw error
      }
      ctx.io.stdout.write(`Revoked ${grant.privilege} access to ${grant.resource} from "${args.USER}"\n`)
    }
  })
}
