import { CliError, type Context } from '../../lib/context.js'
import { requireUser } from '../../lib/lookup.js'
import { prompter } from '../../lib/prompt.js'
import { withSession } from '../../lib/session.js'
import type { ArgsOf } from '../define.js'
import type { command } from './edit.js'

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

export default async function editUser(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
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
