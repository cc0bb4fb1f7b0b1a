import { INFRA_RESOURCE, INFRA_ROLES, parseResource } from '@infra/api-types'
import type { Grant, InfraClient } from '@infra/client-sdk'
import { CliError } from '../lib/context.js'
import { printData, table } from '../lib/output.js'
import { withSession } from '../lib/session.js'
import { findGroup, findUser, isNotFound } from './lookup.js'
import type { Handler } from './types.js'

interface NamedGrant extends Grant {
  userName?: string
  groupName?: string
}

export const grantsList: Handler<{ destination?: string }> = async (ctx, args) => {
  await withSession(ctx, args, async ({ client }) => {
    // Only admins and viewers may list users: others see their own grants, with IDs for names they cannot read.
    const orEmpty = <T>(list: PromiseLike<T[]>) =>
      Promise.resolve(list).catch((error: unknown) => {
        if ((error as { status?: number }).status === 403) return [] as T[]
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

interface GrantArgs {
  USER: string
  DESTINATION: string
  group?: boolean
  role?: string
  force?: boolean
}

function parseDestination(resource: string) {
  const parsed = parseResource(resource)
  if (!parsed.ok) {
    throw new CliError(
      `invalid destination "${resource}": ${parsed.error}`,
      'use DESTINATION, DESTINATION.NAMESPACE or infra',
    )
  }
  return parsed.value
}

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

export const grantsAdd: Handler<GrantArgs> = async (ctx, args) => {
  const role = args.role ?? 'connect'
  await withSession(ctx, args, async ({ client }) => {
    await checkTarget(client, args.DESTINATION, role, args.force === true)
    const kind = args.group ? 'group' : 'user'
    let subject: { userName: string } | { groupName: string }
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
        ctx.log.info(
          `Created user "${args.USER}"${created.oneTimePassword ? ` with one-time password ${created.oneTimePassword}` : ''}`,
        )
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

export const grantsRemove: Handler<GrantArgs> = async (ctx, args) => {
  parseDestination(args.DESTINATION)
  await withSession(ctx, args, async ({ client }) => {
    const subject = args.group ? await findGroup(client, args.USER) : await findUser(client, args.USER)
    if (!subject) {
      if (args.force) return
      throw new CliError(
        `unknown ${args.group ? 'group' : 'user'} "${args.USER}"`,
        `see infra ${args.group ? 'groups' : 'users'} list`,
      )
    }
    const grants = await client.grants.listAll({
      ...(args.group ? { group: subject.id } : { user: subject.id }),
      resource: args.DESTINATION,
      ...(args.role ? { privilege: args.role } : {}),
      showSystem: true,
    })
    if (grants.length === 0) {
      if (args.force) return
      throw new CliError(
        `"${args.USER}" has no ${args.role ? `${args.role} ` : ''}grant on ${args.DESTINATION}`,
        'see infra grants list (--force succeeds anyway)',
      )
    }
    for (const grant of grants) {
      try {
        await client.grants.delete(grant.id)
      } catch (error) {
        if (!isNotFound(error)) throw error
      }
      ctx.io.stdout.write(`Revoked ${grant.privilege} access to ${grant.resource} from "${args.USER}"\n`)
    }
  })
}
