import { GroupName, INFRA_RESOURCE, INFRA_ROLES, UserName } from '@infra/api-types'
import type { InfraClient } from '@infra/client-sdk'
import { CliError, type Context } from '../../lib/context.js'
import { findGroup, findUser } from '../../lib/lookup.js'
import { withSession } from '../../lib/session.js'
import type { ArgsOf } from '../define.js'
import type { command } from './add.js'
import { parseDestination } from './destination.js'

/** Checks the destination and role exist, unless --force. */
async function checkTarget(
  client: InfraClient,
  resource: string,
  role: string,
  force: boolean,
): Promise<void> {
  const { destination, namespace } = parseDestination(resource)
  if (destination === INFRA_RESOURCE) {
    if (!(INFRA_ROLES as readonly string[]).includes(role)) {
      throw new CliError(`"${role}" is not a role of Infra itself`, `use one of: ${INFRA_ROLES.join(', ')}`)
    }
    return
  }
  if (force) return
  const found = (await client.destinations.list({ name: destination, limit: 1 })).items[0]
  if (!found) {
    throw new CliError(
      `unknown destination "${destination}"`,
      'see infra destinations list, or pass --force to grant it before it connects',
    )
  }
  if (namespace !== undefined && found.resources.length > 0 && !found.resources.includes(namespace)) {
    throw new CliError(
      `unknown namespace "${namespace}" in ${destination}`,
      `known: ${found.resources.join(', ')} (or pass --force)`,
    )
  }
  if (found.roles.length > 0 && !found.roles.includes(role)) {
    throw new CliError(
      `unknown role "${role}" for ${destination}`,
      `known: ${found.roles.join(', ')} (or pass --force)`,
    )
  }
}

/** A name no user or group can have (e.g. `system:masters`) is said so, rather than "unknown, --force to create". */
// `schema` is UserName or GroupName, one zod type.
function checkName(schema: typeof UserName, name: string): void {
  const parsed = schema.safeParse(name)
  if (!parsed.success)
    throw new CliError(`invalid name: ${parsed.error.issues.map((issue) => issue.message).join(', ')}`)
}

export default async function addGrant(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  const role = args.role
  await withSession(ctx, args, async ({ client }) => {
    await checkTarget(client, args.DESTINATION, role, args.force === true)
    const kind = args.group ? 'group' : 'user'
    let subject: { userName: string } | { groupName: string }
    checkName(args.group ? GroupName : UserName, args.USER)
    if (args.group) {
      if (!(await findGroup(client, args.USER))) {
        if (!args.force)
          throw new CliError(
            `unknown group "${args.USER}"`,
            'see infra groups list, or pass --force to create it',
          )
        await client.groups.create({ name: args.USER })
        ctx.log.info(`Created group "${args.USER}"`)
      }
      subject = { groupName: args.USER }
    } else {
      if (!(await findUser(client, args.USER))) {
        if (!args.force)
          throw new CliError(
            `unknown user "${args.USER}"`,
            'see infra users list, or pass --force to create it',
          )
        const created = await client.users.create({ name: args.USER })
        ctx.log.info(`Created user "${args.USER}"`)
        // On stdout, as `infra users add` shows it: stderr is the log, which must never hold a password.
        if (created.oneTimePassword) ctx.io.stdout.write(`One-time password: ${created.oneTimePassword}\n`)
      }
      subject = { userName: args.USER }
    }
    const grant = await client.grants.create({ ...subject, privilege: role, resource: args.DESTINATION })
    ctx.io.stdout.write(
      grant.wasCreated
        ? `Granted ${kind} "${args.USER}" ${role} access to ${args.DESTINATION}\n`
        : `${kind === 'user' ? 'User' : 'Group'} "${args.USER}" already has ${role} access to ${args.DESTINATION}\n`,
    )
  })
}
