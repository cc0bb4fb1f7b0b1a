import type { Context } from '../../lib/context.js'
import { removeByName } from '../../lib/remove.js'
import type { ArgsOf } from '../define.js'
import type { command } from './remove.js'

export default async function removeDestination(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  await removeByName(ctx, args, 'destination', args.DESTINATION, {
    find: async (client) => (await client.destinations.list({ name: args.DESTINATION, limit: 1 })).items[0],
    delete: (client, found) => client.destinations.delete(found.id),
  })
}
