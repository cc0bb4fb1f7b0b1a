import { auditContext } from '../http/audit-context.js'
import type { HandlersFor } from '../http/handler.js'
import { currentAnswer, longPoll } from '../live/long-poll.js'
import { DESTINATIONS_SCOPE } from '../live/scopes.js'
import {
  createDestination,
  deleteDestination,
  getDestination,
  listDestinations,
  updateDestination,
} from '../services/destinations.js'

export const destinationHandlers: HandlersFor<
  'listDestinations' | 'createDestination' | 'getDestination' | 'updateDestination' | 'deleteDestination'
> = {
  listDestinations: ({ ctx, caller, query, signal }) => {
    const load = () => listDestinations(ctx.sql, query, ctx.settings.destinationConnectedWindowMs)
    const answerKey = `destinations:${JSON.stringify(query)}`
    if (query.lastUpdateIndex === undefined) return currentAnswer(ctx, [DESTINATIONS_SCOPE], answerKey, load)
    const { lastUpdateIndex } = query
    return longPoll(
      ctx,
      {
        accessKeyId: caller.accessKeyId,
        keyId: caller.keyId,
        scopes: [DESTINATIONS_SCOPE],
        lastUpdateIndex,
        signal,
        answerKey,
      },
      load,
    )
  },
  createDestination: ({ ctx, caller, body, origin }) =>
    createDestination(ctx.db, body, ctx.settings.destinationConnectedWindowMs, auditContext(caller, origin)),
  getDestination: ({ ctx, params }) =>
    getDestination(ctx.db, params.id, ctx.settings.destinationConnectedWindowMs),
  updateDestination: ({ ctx, caller, params, body, origin }) =>
    updateDestination(
      ctx.db,
      params.id,
      body,
      ctx.settings.destinationConnectedWindowMs,
      auditContext(caller, origin),
    ),
  deleteDestination: async ({ ctx, caller, params, origin }) => {
    await deleteDestination(ctx.db, params.id, auditContext(caller, origin))
  },
}
