import type { Destination } from '@infra/client-sdk'
import type { Context } from '../../lib/context.js'
import { printList, relativeTime } from '../../lib/output.js'
import { withSession } from '../../lib/session.js'
import type { ArgsOf } from '../define.js'
import type { command } from './list.js'

export default async function listDestinations(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  await withSession(ctx, args, async ({ client }) => {
    const destinations = await client.destinations.listAll()
    await printList(
      ctx,
      args.format,
      destinations,
      ['name', 'url', 'connected', 'last seen'],
      (d: Destination) => [
        d.name,
        d.connection.url || '-',
        d.connected ? 'yes' : 'no',
        relativeTime(d.lastSeen),
      ],
      'No destinations connected yet: add one with a connector key (infra keys add connector).',
    )
  })
}
