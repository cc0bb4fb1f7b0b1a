import type { Context } from '../../lib/context.js'
import { findUser } from '../../lib/lookup.js'
import { removeByName } from '../../lib/remove.js'
import type { Args } from './remove.js'

export default async function removeUser(ctx: Context, args: Args): Promise<void> {
  await removeByName(ctx, args, {
    noun: 'user',
    group: 'users',
    name: args.USER,
    find: (client) => findUser(client, args.USER),
    delete: (client, found) => client.users.delete(found.id),
    label: (found) => `user "${found.name}"`,
  })
}
