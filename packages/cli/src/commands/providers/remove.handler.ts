import type { Context } from '../../lib/context.js'
import { removeByName } from '../../lib/remove.js'
import type { Args } from './remove.js'

export default async function removeProvider(ctx: Context, args: Args): Promise<void> {
  await removeByName(ctx, args, {
    noun: 'provider',
    group: 'providers',
    name: args.PROVIDER,
    find: async (client) => (await client.providers.list({ name: args.PROVIDER, limit: 1 })).items[0],
    delete: (client, found) => client.providers.delete(found.id),
    label: (found) => `provider "${found.name}"`,
  })
}
