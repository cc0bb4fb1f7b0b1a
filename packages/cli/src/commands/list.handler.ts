import { contextName } from '@infra/agent'
import { refreshKubeconfig } from '../lib/access.js'
import type { Context } from '../lib/context.js'
import { printList } from '../lib/output.js'
import { withSession } from '../lib/session.js'
import type { ArgsOf } from './define.js'
import type { command } from './list.js'

export default async function list(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  await withSession(ctx, args, async ({ url, client }) => {
    const { access } = await refreshKubeconfig(ctx, url, client)
    const rows = access.map((item) => ({
      name: item.resource,
      roles: item.roles,
      connected: item.registered?.connected ?? false,
      kubeContext: contextName(item.destination, item.namespace),
    }))
    await printList(
      ctx,
      args.format,
      rows,
      ['name', 'access', 'connected'],
      (row) => [row.name, row.roles.join(', '), row.connected ? 'yes' : 'no'],
      'You have no access to any destination yet: ask an admin for a grant (infra grants add).',
    )
  })
}
