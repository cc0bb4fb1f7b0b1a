import type { Context } from '../../lib/context.js'
import { withSession } from '../../lib/session.js'
import type { ArgsOf } from '../define.js'
import type { command } from './export.js'
import { auditFilters } from './filters.js'
import { printEventLine } from './output.js'

export default async function exportAuditEvents(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  const filter = { ...auditFilters(args), ...(args.after !== undefined && { after: args.after }) }
  await withSession(ctx, args, async ({ client }) => {
    const stop = new AbortController()
    process.once('SIGINT', () => stop.abort())
    const events = args.follow
      ? client.audit.follow(filter, {
          signal: stop.signal,
          onReconnect: () => ctx.io.stderr.write('The stream broke off; reconnecting…\n'),
        })
      : client.audit.export(filter, { signal: stop.signal })
    for await (const event of events) printEventLine(ctx, 'ndjson', event)
  })
}
