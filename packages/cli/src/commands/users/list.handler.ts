import type { Context } from '../../lib/context.js'
import { listFromServer } from '../../lib/list.js'
import { relativeTime } from '../../lib/output.js'
import type { ArgsOf } from '../define.js'
import type { command } from './list.js'

export default async function listUsers(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  await listFromServer(ctx, args, (client) => client.users.listAll(), {
    headers: ['name', 'last seen'],
    row: (user) => [user.name, relativeTime(user.lastSeenAt)],
    empty: 'No users.',
  })
}
