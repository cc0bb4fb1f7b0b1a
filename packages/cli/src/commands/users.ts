import type { Group, User } from '@infra/client-sdk'
import { CliError, type Context } from '../lib/context.js'
import { printData, printList, relativeTime } from '../lib/output.js'
import { prompter } from '../lib/prompt.js'
import { withSession } from '../lib/session.js'
import { findGroup, findUser, isNotFound, requireGroup, requireUser } from './lookup.js'
import type { Handler } from './types.js'

export const usersList: Handler = async (ctx, args) => {
  await withSession(ctx, args, async ({ client }) => {
    const users = await client.users.listAll()
    await printList(
      ctx,
      args.format,
      users,
      ['name', 'last seen'],
      (user: User) => [user.name, relativeTime(user.lastSeenAt)],
      'No users.',
    )
  })
}

export const usersAdd: Handler<{ USER: string }> = async (ctx, args) => {
  await withSession(ctx, args, async ({ client }) => {
    let created
    try {
      created = await client.users.create({ name: args.USER })
    } catch (error) {
      if ((error as { status?: number }).status === 409) {
        throw new CliError(`a user named "${args.USER}" already exists`, 'see infra users list')
      }
      throw error
    }
    if (args.format === 'json' || args.format === 'yaml') return printData(ctx, args.format, created)
    ctx.io.stdout.write(`Added user "${created.name}"\n`)
    if (created.oneTimePassword) {
      ctx.io.stdout.write(`One-time password: ${created.oneTimePassword}\n`)
      ctx.log.info('They must change it when they first log in (infra login).')
    }
  })
}

async function readSecret(ctx: Context, label: string): Promise<string> {
  if (ctx.interactive) {
    return (await prompter(ctx)).password(label, {
      validate: (value) => (value.length < 8 ? 'must be at least 8 characters' : undefined),
    })
  }
  // Scripts pipe the new password in: `echo "$PASSWORD" | infra users edit NAME --password`.
  const chunks: Buffer[] = []
  for await (const chunk of ctx.io.stdin) chunks.push(Buffer.from(chunk as Buffer))
  const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? ''
  if (line === '')
    throw new CliError(`${label} is required`, 'run it in a terminal, or pipe the password on standard input')
  return line
}

export const usersEdit: Handler<{ USER: string; password?: boolean }> = async (ctx, args) => {
  if (!args.password) throw new CliError('nothing to change', 'pass --password to set a new password')
  await withSession(ctx, args, async ({ client }) => {
    // Anyone may change their own password; only admins (who may list users) someone else's.
    const self = await client.users.get('self')
    const user = self.name === args.USER ? self : await requireUser(client, args.USER)
    const isSelf = user.id === self.id
    let oldPassword: string | undefined
    if (isSelf) {
      oldPassword = ctx.env.INFRA_PASSWORD
      if (oldPassword === undefined) {
        if (!ctx.interactive)
          throw new CliError('your current password is required', 'set INFRA_PASSWORD to it')
        oldPassword = await (await prompter(ctx)).password('Current password')
      }
    }
    const password = await readSecret(ctx, 'New password')
    if (ctx.interactive) {
      const again = await (await prompter(ctx)).password('Confirm new password')
      if (again !== password) throw new CliError('the passwords do not match', 'try again')
    }
    await client.users.updatePassword(isSelf ? 'self' : user.id, {
      password,
      ...(oldPassword === undefined ? {} : { oldPassword }),
    })
    ctx.io.stdout.write(
      isSelf
        ? 'Updated your password\n'
        : `Updated the password of "${user.name}": it is a one-time password they must change at their next login\n`,
    )
  })
}

export const usersRemove: Handler<{ USER: string; force?: boolean }> = async (ctx, args) => {
  await withSession(ctx, args, async ({ client }) => {
    const user = await findUser(client, args.USER)
    if (!user) {
      if (args.force) return
      throw new CliError(`unknown user "${args.USER}"`, 'see infra users list (--force succeeds anyway)')
    }
    try {
      await client.users.delete(user.id)
    } catch (error) {
      if (!(isNotFound(error) && args.force)) throw error
    }
    ctx.io.stdout.write(`Removed user "${user.name}"\n`)
  })
}

export const groupsList: Handler = async (ctx, args) => {
  await withSession(ctx, args, async ({ client }) => {
    const groups = await client.groups.listAll()
    await printList(
      ctx,
      args.format,
      groups,
      ['name', 'users', 'created'],
      (group: Group) => [group.name, String(group.totalUsers), relativeTime(group.created)],
      'No groups.',
    )
  })
}

export const groupsAdd: Handler<{ GROUP: string }> = async (ctx, args) => {
  await withSession(ctx, args, async ({ client }) => {
    try {
      await client.groups.create({ name: args.GROUP })
    } catch (error) {
      if ((error as { status?: number }).status === 409) {
        throw new CliError(`a group named "${args.GROUP}" already exists`, 'see infra groups list')
      }
      throw error
    }
    ctx.io.stdout.write(`Added group "${args.GROUP}"\n`)
  })
}

export const groupsRemove: Handler<{ GROUP: string; force?: boolean }> = async (ctx, args) => {
  await withSession(ctx, args, async ({ client }) => {
    const group = await findGroup(client, args.GROUP)
    if (!group) {
      if (args.force) return
      throw new CliError(`unknown group "${args.GROUP}"`, 'see infra groups list (--force succeeds anyway)')
    }
    try {
      await client.groups.delete(group.id)
    } catch (error) {
      if (!(isNotFound(error) && args.force)) throw error
    }
    ctx.io.stdout.write(`Removed group "${group.name}"\n`)
  })
}

export const groupsAddUser: Handler<{ USER: string; GROUP: string }> = async (ctx, args) => {
  await withSession(ctx, args, async ({ client }) => {
    const [user, group] = await Promise.all([
      requireUser(client, args.USER),
      requireGroup(client, args.GROUP),
    ])
    await client.groups.updateUsers(group.id, { usersToAdd: [user.id] })
    ctx.io.stdout.write(`Added "${user.name}" to group "${group.name}"\n`)
  })
}

export const groupsRemoveUser: Handler<{ USER: string; GROUP: string; force?: boolean }> = async (
  ctx,
  args,
) => {
  await withSession(ctx, args, async ({ client }) => {
    const [user, group] = await Promise.all([findUser(client, args.USER), findGroup(client, args.GROUP)])
    if (!user || !group) {
      if (args.force) return
      if (!user) throw new CliError(`unknown user "${args.USER}"`, 'see infra users list')
      throw new CliError(`unknown group "${args.GROUP}"`, 'see infra groups list')
    }
    const members = await client.users.list({ group: group.id, name: user.name, limit: 1 })
    if (members.items.length === 0) {
      if (args.force) return
      throw new CliError(
        `"${user.name}" is not in group "${group.name}"`,
        `see infra users list, or pass --force`,
      )
    }
    await client.groups.updateUsers(group.id, { usersToRemove: [user.id] })
    ctx.io.stdout.write(`Removed "${user.name}" from group "${group.name}"\n`)
  })
}
