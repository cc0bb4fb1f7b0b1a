import type { AccessKey } from '@infra/client-sdk'
import type { Context } from '../../lib/context.js'
import { requireUser } from '../../lib/lookup.js'
import { printList, relativeTime } from '../../lib/output.js'
import { withSession } from '../../lib/session.js'
import type { ArgsOf } from '../define.js'
import type { command } from './list.js'

export default async function listKeys(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  await withSession(ctx, args, async ({ client }) => {
    const userID = args.user ? (await requireUser(client, args.user)).id : undefined
    const keys = await client.accessKeys.listAll({
      ...(userID ? { userID } : {}),
      ...(args.showExpired ? { showExpired: true } : {}),
    })
    await printList(
      ctx,
      args.format,
      keys,
      ['id', 'name', 'user', 'created', 'last used', 'expires'],
      (key: AccessKey) => [
        key.id,
        key.name,
        key.issuedForName,
        relativeTime(key.created),
        relativeTime(key.lastUsed),
        relativeTime(key.expires),
      ],
      'No access keys.',
    )
  })
}
