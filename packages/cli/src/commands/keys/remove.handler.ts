import type { AccessKey, InfraClient } from '@infra/client-sdk'
import { CliError, type Context } from '../../lib/context.js'
import { requireUser } from '../../lib/lookup.js'
import { removeByName } from '../../lib/remove.js'
import type { ArgsOf } from '../define.js'
import type { command } from './remove.js'

/** The key named (or with the ID) `key`, of `user` when given; ambiguous names are an error. */
async function findKey(client: InfraClient, key: string, user: string | undefined) {
  const userID = user ? (await requireUser(client, user)).id : undefined
  let keys = await client.accessKeys.listAll({ name: key, showExpired: true, ...(userID ? { userID } : {}) })
  if (keys.length === 0) {
    const all = await client.accessKeys.listAll({ showExpired: true, ...(userID ? { userID } : {}) })
    keys = all.filter((found) => found.id === key)
  }
  if (keys.length > 1) {
    throw new CliError(
      `${keys.length} access keys are named "${key}" (of ${keys.map((found) => found.issuedForName).join(', ')})`,
      'pass --user, or the key ID from infra keys list',
    )
  }
  return keys[0]
}

export default async function removeKey(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  await removeByName<AccessKey>(ctx, args, 'access key', args.KEY, {
    group: 'keys',
    find: (client) => findKey(client, args.KEY, args.user),
    delete: (client, key) => client.accessKeys.delete(key.id),
    label: (key) => `access key "${key.name}" of "${key.issuedForName}"`,
  })
}
