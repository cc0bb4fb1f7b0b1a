import type { Group } from '@infra/client-sdk'
import type { Context } from '../../lib/context.js'
import { printList, relativeTime } from '../../lib/output.js'
import { withSession } from '../../lib/session.js'
import type { ArgsOf } from '../define.js'
import type { command } from './list.js'

export default async function listGroups(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  await withSession(ctx, args, async ({ client }) => {
    const groups = await client.groups.listAll()
    await printList(
      ctx,
      args.format,
      groups,
      ['name', 'users', 'created'],
      (group: Group) => [group.name, String(group.totalUsers), relativeTime(group.created)],
      'No groups.',
    )
  })
}
