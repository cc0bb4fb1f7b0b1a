import type { Context } from '../../lib/context.js'
import { findUser } from '../../lib/lookup.js'
import { removeByName } from '../../lib/remove.js'
import type { ArgsOf } from '../define.js'
import type { command } from './remove.js'

export default async function removeUser(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  await removeByName(ctx, args, 'user', args.USER, {
    find: (client) => findUser(client, args.USER),
    delete: (client, found) => client.users.delete(found.id),
  })
}
