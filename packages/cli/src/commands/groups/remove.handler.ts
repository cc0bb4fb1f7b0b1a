import type { Context } from '../../lib/context.js'
import { findGroup } from '../../lib/lookup.js'
import { removeByName } from '../../lib/remove.js'
import type { ArgsOf } from '../define.js'
import type { command } from './remove.js'

export default async function removeGroup(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  await removeByName(ctx, args, 'group', args.GROUP, {
    find: (client) => findGroup(client, args.GROUP),
    delete: (client, found) => client.groups.delete(found.id),
  })
}
