import type { Provider } from '@infra/client-sdk'
import type { Context } from '../../lib/context.js'
import { printList } from '../../lib/output.js'
import { withSession } from '../../lib/session.js'
import type { ArgsOf } from '../define.js'
import type { command } from './list.js'

export default async function listProviders(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  await withSession(ctx, args, async ({ client }) => {
    const providers = await client.providers.listAll()
    await printList(
      ctx,
      args.format,
      providers,
      ['name', 'kind', 'url'],
      (p: Provider) => [p.name, p.kind, p.url],
      'No identity providers: connect one with infra providers add.',
    )
  })
}
