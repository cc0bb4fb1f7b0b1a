import { canReadAll, hasRole } from '../auth/caller.js'
import { forbidden } from '../http/errors.js'
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
  listGroups: ({ ctx, caller, query }) => {
    if (canReadAll(caller) || hasRole(caller, 'connector')) return listGroups(ctx.db, query)
    if (query.userID !== undefined && query.userID !== caller.userId) {
      throw forbidden('you can only list your own groups')
    }
    return listGroups(ctx.db, { ...query, userID: caller.userId })
  },

  createGroup: ({ ctx, body }) => createGroup(ctx.db, body.name),

  getGroup: async ({ ctx, caller, params }) => {
    const group = await getGroup(ctx.db, params.id)
    if (
      !canReadAll(caller) &&
      !hasRole(caller, 'connector') &&
      !(await isMember(ctx.db, params.id, caller.userId))
    ) {
      throw forbidden('you can only read groups you belong to')
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
