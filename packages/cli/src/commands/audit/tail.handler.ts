import { CliError, type Context } from '../../lib/context.js'
import { withSession } from '../../lib/session.js'
import type { ArgsOf } from '../define.js'
import { auditFilters } from './filters.js'
import { printEventLine, printEvents } from './output.js'
import type { command } from './tail.js'

export default async function tailAuditEvents(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  if (!Number.isInteger(args.lines) || args.lines < 0 || args.lines > 1000) {
    throw new CliError('--lines must be a number from 0 to 1000')
  }
  const filters = auditFilters(args)
  await withSession(ctx, args, async ({ client }) => {
    const latest =
      args.lines === 0
        ? []
        : (await client.audit.list({ ...filters, order: 'newest', limit: args.lines })).items
    const shown = latest.reverse()
    if (!args.follow) {
      printEvents(ctx, args.format, shown)
      return
    }
    for (const event of shown) printEventLine(ctx, args.format, event)
    // Without an event to start after, only what is stored from now on.
    const after = shown.at(-1)?.id ?? (await client.audit.head()).id ?? undefined
    const stop = new AbortController()
    process.once('SIGINT', () => stop.abort())
    for await (const event of client.audit.follow(
      { ...filters, ...(after !== undefined && { after }) },
      {
        signal: stop.signal,
        onReconnect: () => ctx.io.stderr.write('The stream broke off; reconnecting…\n'),
      },
    )) {
      printEventLine(ctx, args.format, event)
    }
  })
}
