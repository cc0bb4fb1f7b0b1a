import type { Context } from '../../lib/context.js'
import { listFromServer } from '../../lib/list.js'
import { relativeTime } from '../../lib/output.js'
import type { ArgsOf } from '../define.js'
import type { command } from './list.js'

export default async function listGroups(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  await listFromServer(ctx, args, (client) => client.groups.listAll(), {
    headers: ['name', 'users', 'created'],
    row: (group) => [group.name, String(group.totalUsers), relativeTime(group.created)],
    empty: 'No groups.',
  })
}
