import type { Context } from '../../lib/context.js'
import { removeByName } from '../../lib/remove.js'
import type { Args } from './remove.js'

export default async function removeDestination(ctx: Context, args: Args): Promise<void> {
  await removeByName(ctx, args, {
    noun: 'destination',
    group: 'destinations',
    name: args.DESTINATION,
    find: async (client) => (await client.destinations.list({ name: args.DESTINATION, limit: 1 })).items[0],
    delete: (client, found) => client.destinations.delete(found.id),
    label: (found) => `destination "${found.name}"`,
  })
}
