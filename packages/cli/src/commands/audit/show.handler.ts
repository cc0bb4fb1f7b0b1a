import { AuditEventId } from '@infra/api-types'
import { CliError, type Context } from '../../lib/context.js'
import { apiStatus } from '../../lib/sdk-errors.js'
import { withSession } from '../../lib/session.js'
import type { ArgsOf } from '../define.js'
import type { command } from './show.js'

export default async function showAuditEvent(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  if (!AuditEventId.safeParse(args.ID).success) {
    throw new CliError(`"${args.ID}" is not an audit event ID`, 'see infra audit list')
  }
  await withSession(ctx, args, async ({ client }) => {
    try {
      ctx.io.stdout.write(`${JSON.stringify(await client.audit.get(args.ID), null, 2)}\n`)
    } catch (error) {
      if (apiStatus(error) === 404) throw new CliError(`no audit event ${args.ID}`, 'see infra audit list')
      throw error
    }
  })
}
