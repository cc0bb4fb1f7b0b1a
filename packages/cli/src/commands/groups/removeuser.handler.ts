import { CliError, type Context } from '../../lib/context.js'
import { findGroup, findUser } from '../../lib/lookup.js'
import { withSession } from '../../lib/session.js'
import type { ArgsOf } from '../define.js'
import type { command } from './removeuser.js'

export default async function removeUserFromGroup(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  await withSession(ctx, args, async ({ client }) => {
    const [user, group] = await Promise.all([findUser(client, args.USER), findGroup(client, args.GROUP)])
    if (!user || !group) {
      if (args.force) return
      if (!user) throw new CliError(`unknown user "${args.USER}"`, 'see infra users list')
      throw new CliError(`unknown group "${args.GROUP}"`, 'see infra groups list')
    }
    const members = await client.users.list({ group: group.id, name: user.name, limit: 1 })
    if (members.items.length === 0) {
      if (args.force) return
      throw new CliError(
        `"${user.name}" is not in group "${group.name}"`,
        `see infra users list, or pass --force`,
      )
    }
    await client.groups.updateUsers(group.id, { usersToRemove: [user.id] })
    ctx.io.stdout.write(`Removed "${user.name}" from group "${group.name}"\n`)
  })
}
