import type { Context } from '../../lib/context.js'
import { printData, relativeTime } from '../../lib/output.js'
import { displayServer, withSession } from '../../lib/session.js'
import type { ArgsOf } from '../define.js'
import type { command } from './info.js'

export default async function info(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  await withSession(ctx, args, async ({ url, client, entry }) => {
    const user = await client.users.get('self')
    const [groups, grants] = await Promise.all([
      client.groups.listAll({ userID: user.id }),
      client.grants.listAll({ user: 'self', showInherited: true, resource: 'infra' }),
    ])
    const data = {
      server: url,
      user: { id: user.id, name: user.name },
      groups: groups.map((group) => group.name),
      roles: [...new Set(grants.map((grant) => grant.privilege))],
      ...(entry?.expires ? { expires: entry.expires } : {}),
    }
    if (args.format === 'json' || args.format === 'yaml') return printData(ctx, args.format, data)
    const lines = [
      ['Server:', displayServer(url)],
      ['User:', `${user.name} (${user.id})`],
      ['Groups:', data.groups.join(', ') || '(none)'],
      ['Roles:', data.roles.join(', ') || '(none)'],
      ...(entry?.expires ? [['Session expires:', relativeTime(entry.expires)]] : []),
    ]
    const width = Math.max(...lines.map(([label]) => (label ?? '').length)) + 1
    ctx.io.stdout.write(lines.map(([label, value]) => `${(label ?? '').padEnd(width)}${value}\n`).join(''))
  })
}
