import type { AuditEvent } from '@infra/api-types'
import { CliError, type Context } from '../../lib/context.js'
import { withSession } from '../../lib/session.js'
import type { ArgsOf } from '../define.js'
import { auditFilters } from './filters.js'
import type { command } from './list.js'
import { printEvents } from './output.js'

const MAX_PAGE = 1000

export default async function listAuditEvents(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  if (!Number.isInteger(args.limit) || args.limit < 1) throw new CliError('--limit must be a positive number')
  await withSession(ctx, args, async ({ client }) => {
    const events: AuditEvent[] = []
    let after = args.after
    let next: string | null
    do {
      const page = await client.audit.list({
        ...auditFilters(args),
        ...(after !== undefined && { after }),
        limit: Math.min(MAX_PAGE, args.limit - events.length),
      })
      events.push(...page.items)
      next = page.next
      after = next ?? undefined
    } while (next !== null && events.length < args.limit)
    printEvents(ctx, args.format, events)
    if (next !== null) ctx.io.stderr.write(`More events: infra audit list --after ${next} …\n`)
  })
}
