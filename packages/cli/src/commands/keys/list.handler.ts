import type { InfraClient } from '@infra/client-sdk'
import type { Context } from '../../lib/context.js'
import { listFromServer } from '../../lib/list.js'
import { requireUser } from '../../lib/lookup.js'
import { relativeTime } from '../../lib/output.js'
import type { ArgsOf } from '../define.js'
import type { command } from './list.js'

export default async function listKeys(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  const keys = async (client: InfraClient) => {
    const userID = args.user ? (await requireUser(client, args.user)).id : undefined
    return client.accessKeys.listAll({
      ...(userID ? { userID } : {}),
      ...(args.showExpired ? { showExpired: true } : {}),
    })
  }
  await listFromServer(ctx, args, keys, {
    headers: ['id', 'name', 'user', 'created', 'last used', 'expires'],
    row: (key) => [
      key.id,
      key.name,
      key.issuedForName,
      relativeTime(key.created),
      relativeTime(key.lastUsed),
      relativeTime(key.expires),
    ],
    empty: 'No access keys.',
  })
}
