import type { Context } from '../../lib/context.js'
import { listFromServer } from '../../lib/list.js'
import { relativeTime } from '../../lib/output.js'
import type { ArgsOf } from '../define.js'
import type { command } from './list.js'

export default async function listDestinations(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  await listFromServer(ctx, args, (client) => client.destinations.listAll(), {
    headers: ['name', 'url', 'connected', 'last seen'],
    row: (d) => [d.name, d.connection.url || '-', d.connected ? 'yes' : 'no', relativeTime(d.lastSeen)],
    empty: 'No destinations connected yet: add one with a connector key (infra keys add connector).',
  })
}
