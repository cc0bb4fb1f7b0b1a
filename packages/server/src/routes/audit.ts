import type { AuditEvent } from '@infra/api-types'
import type { Caller } from '../auth/caller.js'
import type { ServerContext } from '../context.js'
import type { HandlersFor } from '../http/handler.js'
import { ingestAuditEvents, recordAuditEvent } from '../services/audit.js'
import {
  getAuditEvent,
  listAuditEvents,
  nextStreamBatch,
  streamPosition,
  type AuditFilters,
} from '../services/audit-query.js'
import { JsonText } from '../services/json-page.js'

type ReadQuery = Record<string, string | string[] | boolean | number>

/** Reading the log is itself an event of the log: who read or exported what. */
async function recordRead(
  ctx: ServerContext,
  caller: Caller,
  type: 'audit.read' | 'audit.exported',
  query: Record<string, unknown>,
): Promise<void> {
  const asked = Object.fromEntries(
    Object.entries(query).filter(([, value]) => value !== undefined),
  ) as ReadQuery
  await recordAuditEvent(ctx.db, {
    type,
    outcome: 'success',
    actor: { kind: 'user', id: caller.userId, name: caller.userName },
    details: { query: asked },
  })
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => {
      clearTimeout(timer)
      resolve()
    })
  })

/**
 * The sealed events after `after`, in chain order; with `follow`, new ones as they are sealed, until the long-poll
 * timeout (the client then resumes from the last ID it read) or the client leaves.
 */
async function* streamEvents(
  ctx: ServerContext,
  filters: AuditFilters,
  follow: boolean,
  signal: AbortSignal,
): AsyncGenerator<JsonText<AuditEvent>> {
  const deadline = Date.now() + ctx.settings.longPollTimeoutMs
  let position = await streamPosition(ctx.sql, filters.after)
  while (!signal.aborted) {
    const batch = await nextStreamBatch(ctx.sql, filters, position)
    for (const line of batch.lines) yield new JsonText(line)
    const caughtUp = batch.position === position
    position = batch.position
    if (caughtUp) {
      if (!follow || Date.now() >= deadline) return
      await sleep(ctx.settings.auditSealIntervalMs, signal)
    }
  }
}

export const auditHandlers: HandlersFor<
  | 'ingestAuditEvents'
  | 'listAuditEvents'
  | 'getAuditEvent'
  | 'streamAuditEvents'
  | 'getAuditHead'
  | 'verifyAudit'
> = {
  ingestAuditEvents: async ({ ctx, body }) => {
    return ingestAuditEvents(ctx.sql, body.destination, body.events)
  },

  listAuditEvents: async ({ ctx, caller, query }) => {
    await recordRead(ctx, caller, 'audit.read', query)
    return listAuditEvents(ctx.sql, query)
  },

  getAuditEvent: async ({ ctx, caller, params }) => {
    const event = await getAuditEvent(ctx.sql, params.id)
    await recordRead(ctx, caller, 'audit.read', { id: params.id })
    return event
  },

  streamAuditEvents: async ({ ctx, caller, query, signal }) => {
    const { follow = false, ...filters } = query
    await recordRead(ctx, caller, 'audit.exported', query)
    return streamEvents(ctx, filters, follow, signal)
  },

  getAuditHead: async ({ ctx }) => {
    await ctx.audit.sealNow()
    return ctx.audit.chain.head()
  },

  verifyAudit: async ({ ctx }) => {
    await ctx.audit.sealNow()
    return ctx.audit.chain.verify()
  },
}
