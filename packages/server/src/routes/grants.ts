import type { GrantRequest, ListGrantsQuery } from '@infra/api-types'
import type { z } from 'zod'
import type { Caller } from '../auth/caller.js'
import { asksOnlyForSelf, canReadAccessData, canReadGrant } from '../auth/policies.js'
import type { ServerContext } from '../context.js'
import { ForbiddenError } from '../domain/errors.js'
import { auditContext } from '../http/audit-context.js'
import { Reply, type HandlersFor } from '../http/handler.js'
import { currentAnswer, longPoll } from '../live/long-poll.js'
import { grantScopes } from '../live/scopes.js'
import {
  createGrant,
  deleteGrant,
  getGrant,
  listGrants,
  patchGrants,
  type GrantFilters,
} from '../services/grants.js'
import { isMember } from '../services/groups.js'
import { resolveUserRef } from '../services/users.js'

const withSelfResolved = (caller: Caller, request: GrantRequest): GrantRequest =>
  request.user === undefined ? request : { ...request, user: resolveUserRef(caller, request.user) }

/** What a caller may list: everything with a role, otherwise their own grants or those of their groups. */
async function visibleGrantFilters(
  ctx: ServerContext,
  caller: Caller,
  query: z.output<typeof ListGrantsQuery>,
): Promise<GrantFilters> {
  const user = query.user === undefined ? undefined : resolveUserRef(caller, query.user)
  if (canReadAccessData(caller)) return { ...query, user }
  if (!asksOnlyForSelf(caller, user)) throw new ForbiddenError('you can only list your own grants')
  if (query.group !== undefined) {
    if (!(await isMember(ctx.db, query.group, caller.userId))) {
      throw new ForbiddenError('you can only list the grants of groups you belong to')
    }
    return { ...query, user }
  }
  return { ...query, user: caller.userId }
}

export const grantHandlers: HandlersFor<
  'listGrants' | 'createGrant' | 'patchGrants' | 'getGrant' | 'deleteGrant'
> = {
  listGrants: async ({ ctx, caller, query, signal }) => {
    const filters = await visibleGrantFilters(ctx, caller, query)
    const scopes = await grantScopes(ctx.sql, filters)
    const answerKey = `grants:${JSON.stringify(filters)}`
    const load = () => listGrants(ctx.sql, filters)
    if (query.lastUpdateIndex === undefined) return currentAnswer(ctx, scopes, answerKey, load)
    return longPoll(
      ctx,
      {
        accessKeyId: caller.accessKeyId,
        keyId: caller.keyId,
        scopes,
        lastUpdateIndex: query.lastUpdateIndex,
        signal,
        answerKey,
      },
      load,
    )
  },

  createGrant: async ({ ctx, caller, body, origin }) => {
    const created = await createGrant(ctx.db, withSelfResolved(caller, body), auditContext(caller, origin))
    return created.wasCreated ? created : new Reply(created, 200)
  },

  patchGrants: async ({ ctx, caller, body, origin }) => {
    await patchGrants(
      ctx.db,
      {
        add: body.grantsToAdd.map((grant) => withSelfResolved(caller, grant)),
        remove: body.grantsToRemove.map((grant) => withSelfResolved(caller, grant)),
      },
      auditContext(caller, origin),
    )
  },

  getGrant: async ({ ctx, caller, params }) => {
    const grant = await getGrant(ctx.db, params.id)
    if (!(await canReadGrant(caller, grant, (groupId) => isMember(ctx.db, groupId, caller.userId)))) {
      throw new ForbiddenError('you can only read your own grants')
    }
    return grant
  },

  deleteGrant: async ({ ctx, caller, params, origin }) => {
    await deleteGrant(ctx.db, params.id, auditContext(caller, origin))
  },
}
