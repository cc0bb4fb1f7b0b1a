import type { GrantRequest } from '@infra/api-types'
import { canReadAll, hasRole, type Caller } from '../auth/caller.js'
import { forbidden } from '../http/errors.js'
import { Reply, type HandlersFor } from '../http/handler.js'
import { isMember } from '../services/groups.js'
import {
  createGrant,
  deleteGrant,
  getGrant,
  listGrants,
  patchGrants,
  resolveSubject,
} from '../services/grants.js'
import { toApiGrant } from '../services/serialize.js'
import { resolveUserRef } from '../services/users.js'

const withSelfResolved = (caller: Caller, request: GrantRequest): GrantRequest =>
  request.user === undefined ? request : { ...request, user: resolveUserRef(caller, request.user) }

export const grantHandlers: HandlersFor<
  'listGrants' | 'createGrant' | 'patchGrants' | 'getGrant' | 'deleteGrant'
> = {
  listGrants: async ({ ctx, caller, query }) => {
    const user = query.user === undefined ? undefined : resolveUserRef(caller, query.user)
    if (canReadAll(caller) || hasRole(caller, 'connector')) return listGrants(ctx.db, { ...query, user })
    // Without a role: your own grants (and your groups' with showInherited), or those of a group you are in.
    if (user !== undefined && user !== caller.userId) throw forbidden('you can only list your own grants')
    if (query.group !== undefined) {
      if (!(await isMember(ctx.db, query.group, caller.userId))) {
        throw forbidden('you can only list the grants of groups you belong to')
      }
      return listGrants(ctx.db, { ...query, user })
    }
    return listGrants(ctx.db, { ...query, user: caller.userId })
  },

  createGrant: async ({ ctx, caller, body }) => {
    const request = withSelfResolved(caller, body)
    const created = await createGrant(ctx.db, await resolveSubject(ctx.db, request), request, caller.userId)
    return created.wasCreated ? created : new Reply(created, 200)
  },

  patchGrants: async ({ ctx, caller, body }) => {
    await patchGrants(
      ctx.db,
      {
        add: body.grantsToAdd.map((grant) => withSelfResolved(caller, grant)),
        remove: body.grantsToRemove.map((grant) => withSelfResolved(caller, grant)),
      },
      caller.userId,
    )
  },

  getGrant: async ({ ctx, caller, params }) => {
    const grant = await getGrant(ctx.db, params.id)
    const mayRead =
      canReadAll(caller) ||
      hasRole(caller, 'connector') ||
      grant.userId === caller.userId ||
      (grant.groupId !== null && (await isMember(ctx.db, grant.groupId, caller.userId)))
    if (!mayRead) throw forbidden('you can only read your own grants')
    return toApiGrant(grant)
  },

  deleteGrant: async ({ ctx, params }) => {
    await deleteGrant(ctx.db, params.id)
  },
}
