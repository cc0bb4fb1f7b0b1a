import { asksOnlyForSelf, canReadAccessData } from '../auth/policies.js'
import { ForbiddenError } from '../domain/errors.js'
import { auditContext } from '../http/audit-context.js'
import type { HandlersFor } from '../http/handler.js'
import {
  createGroup,
  deleteGroup,
  getGroup,
  isMember,
  listGroups,
  updateMembers,
} from '../services/groups.js'

export const groupHandlers: HandlersFor<
  'listGroups' | 'createGroup' | 'getGroup' | 'deleteGroup' | 'updateGroupUsers'
> = {
  listGroups: async ({ ctx, caller, query }) => {
    if (canReadAccessData(caller)) return listGroups(ctx.sql, query)
    if (!asksOnlyForSelf(caller, query.userID)) {
      throw new ForbiddenError('you can only list your own groups')
    }
    return listGroups(ctx.sql, { ...query, userID: caller.userId })
  },

  createGroup: ({ ctx, caller, body, origin }) =>
    createGroup(ctx.db, body.name, auditContext(caller, origin)),

  getGroup: async ({ ctx, caller, params }) => {
    const group = await getGroup(ctx.db, params.id)
    if (!canReadAccessData(caller) && !(await isMember(ctx.db, params.id, caller.userId))) {
      throw new ForbiddenError('you can only read groups you belong to')
    }
    return group
  },

  deleteGroup: async ({ ctx, caller, params, origin }) => {
    await deleteGroup(ctx.db, params.id, auditContext(caller, origin))
  },

  updateGroupUsers: async ({ ctx, caller, params, body, origin }) => {
    await updateMembers(
      ctx.db,
      params.id,
      { add: body.usersToAdd, remove: body.usersToRemove },
      auditContext(caller, origin),
    )
  },
}
