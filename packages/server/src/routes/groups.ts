import { asksOnlyForSelf, canReadAccessData } from '../auth/policies.js'
import { ForbiddenError } from '../domain/errors.js'
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

  createGroup: ({ ctx, body }) => createGroup(ctx.db, body.name),

  getGroup: async ({ ctx, caller, params }) => {
    const group = await getGroup(ctx.db, params.id)
    if (!canReadAccessData(caller) && !(await isMember(ctx.db, params.id, caller.userId))) {
      throw new ForbiddenError('you can only read groups you belong to')
    }
    return group
  },

  deleteGroup: async ({ ctx, params }) => {
    await deleteGroup(ctx.db, params.id)
  },

  updateGroupUsers: async ({ ctx, params, body }) => {
    await updateMembers(ctx.db, params.id, { add: body.usersToAdd, remove: body.usersToRemove })
  },
}
