import type { Context } from '../../lib/context.js'
import { requireGroup, requireUser } from '../../lib/lookup.js'
import { withSession } from '../../lib/session.js'
import type { ArgsOf } from '../define.js'
import type { command } from './adduser.js'

export default async function addUserToGroup(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  await withSession(ctx, args, async ({ client }) => {
    const [user, group] = await Promise.all([
      requireUser(client, args.USER),
      requireGroup(client, args.GROUP),
    ])
    await client.groups.updateUsers(group.id, { usersToAdd: [user.id] })
    ctx.io.stdout.write(`Added "${user.name}" to group "${group.name}"\n`)
  })
}
