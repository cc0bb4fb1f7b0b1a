import type { User } from '@infra/client-sdk'
import type { Context } from '../../lib/context.js'
import { printList, relativeTime } from '../../lib/output.js'
import { withSession } from '../../lib/session.js'
import type { ArgsOf } from '../define.js'
import type { command } from './list.js'

export default async function listUsers(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  await withSession(ctx, args, async ({ client }) => {
    const users = await client.users.listAll()
    await printList(
      ctx,
      args.format,
      users,
      ['name', 'last seen'],
      (user: User) => [user.name, relativeTime(user.lastSeenAt)],
      'No users.',
    )
  })
}
