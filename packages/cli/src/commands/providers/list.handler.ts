import type { Context } from '../../lib/context.js'
import { listFromServer } from '../../lib/list.js'
import type { ArgsOf } from '../define.js'
import type { command } from './list.js'

export default async function listProviders(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  await listFromServer(ctx, args, (client) => client.providers.listAll(), {
    headers: ['name', 'kind', 'url'],
    row: (p) => [p.name, p.kind, p.url],
    empty: 'No identity providers: connect one with infra providers add.',
  })
}
