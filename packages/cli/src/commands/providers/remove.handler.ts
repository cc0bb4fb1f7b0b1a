import type { Context } from '../../lib/context.js'
import { removeByName } from '../../lib/remove.js'
import type { ArgsOf } from '../define.js'
import type { command } from './remove.js'

export default async function removeProvider(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  await removeByName(ctx, args, 'provider', args.PROVIDER, {
    find: async (client) => (await client.providers.list({ name: args.PROVIDER, limit: 1 })).items[0],
    delete: (client, found) => client.providers.delete(found.id),
  })
}
