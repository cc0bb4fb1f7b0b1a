import type { Grant } from '@infra/client-sdk'
import type { Context } from '../../lib/context.js'
import { printData, table } from '../../lib/output.js'
import { apiStatus } from '../../lib/sdk-errors.js'
import { withSession } from '../../lib/session.js'
import type { ArgsOf } from '../define.js'
import type { command } from './list.js'

interface NamedGrant extends Grant {
  userName?: string
  groupName?: string
}

export default async function listGrants(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  await withSession(ctx, args, async ({ client }) => {
    // Only admins and viewers may list users: others see their own grants, with IDs for names they cannot read.
    const orEmpty = <T>(list: PromiseLike<T[]>) =>
      Promise.resolve(list).catch((error: unknown) => {
        if (apiStatus(error) === 403) return [] as T[]
        throw error
      })
    const [grants, users, groups] = await Promise.all([
      client.grants.listAll(args.destination ? { destination: args.destination } : {}),
      orEmpty(client.users.listAll({ showSystem: true })),
      orEmpty(client.groups.listAll()),
    ])
    const userNames = new Map(users.map((user) => [user.id, user.name]))
    if (users.length === 0) {
      const self = await client.users.get('self')
      userNames.set(self.id, self.name)
    }
    const groupNames = new Map(groups.map((group) => [group.id, group.name]))
    const named: NamedGrant[] = grants.map((grant) => ({
      ...grant,
      ...(grant.user ? { userName: userNames.get(grant.user) ?? grant.user } : {}),
      ...(grant.group ? { groupName: groupNames.get(grant.group) ?? grant.group } : {}),
    }))
    if (args.format === 'json' || args.format === 'yaml') return printData(ctx, args.format, named)
    const byName = (a: string[], b: string[]) => a.join('\0').localeCompare(b.join('\0'))
    const userRows = named
      .filter((grant) => grant.userName !== undefined)
      .map((grant) => [grant.userName ?? '', grant.privilege, grant.resource])
      .sort(byName)
    const groupRows = named
      .filter((grant) => grant.groupName !== undefined)
      .map((grant) => [grant.groupName ?? '', grant.privilege, grant.resource])
      .sort(byName)
    if (userRows.length === 0 && groupRows.length === 0) {
      ctx.io.stderr.write('No grants.\n')
      return
    }
    const parts: string[] = []
    if (userRows.length > 0) parts.push(table(['user', 'access', 'destination'], userRows, ctx.outStyle))
    if (groupRows.length > 0) parts.push(table(['group', 'access', 'destination'], groupRows, ctx.outStyle))
    ctx.io.stdout.write(parts.join('\n'))
  })
}
