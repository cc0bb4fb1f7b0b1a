import type { Context } from '../../lib/context.js'
import { findGroup } from '../../lib/lookup.js'
import { removeByName } from '../../lib/remove.js'
import type { Args } from './remove.js'

export default async function removeGroup(ctx: Context, args: Args): Promise<void> {
  await removeByName(ctx, args, {
    noun: 'group',
    group: 'groups',
    name: args.GROUP,
    find: (client) => findGroup(client, args.GROUP),
    delete: (client, found) => client.groups.delete(found.id),
    label: (found) => `group "${found.name}"`,
  })
}
