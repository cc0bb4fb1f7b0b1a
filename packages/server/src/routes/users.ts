import { hasRole } from '../auth/caller.js'
import {
  canManageUser,
  canReadAccessData,
  passwordResetAllows,
  passwordResetPending,
} from '../auth/policies.js'
import { ForbiddenError } from '../domain/errors.js'
import { auditContext } from '../http/audit-context.js'
import type { HandlersFor } from '../http/handler.js'
import {
  changePassword,
  createUser,
  deleteUser,
  getUser,
  listUsers,
  resolveUserRef,
} from '../services/users.js'

export const userHandlers: HandlersFor<'listUsers' | 'createUser' | 'getUser' | 'updateUser' | 'deleteUser'> =
  {
    listUsers: ({ ctx, query }) => listUsers(ctx.sql, query),

    createUser: ({ ctx, caller, body, origin }) =>
      createUser(ctx.db, body.name, auditContext(caller, origin)),

    getUser: async ({ ctx, caller, params }) => {
      const id = resolveUserRef(caller, params.id)
      if (!passwordResetAllows(caller, id)) throw passwordResetPending()
      if (id !== caller.userId && !canReadAccessData(caller)) {
        throw new ForbiddenError('you can only read your own user')
      }
      if (id !== caller.userId) return getUser(ctx.sql, id)
      // Reading yourself is the most frequent call of all: answered from the authenticated key's cache, with
      // this very request as the latest sign of life.
      const seen = ctx.usage.lastUse(caller.accessKeyId)
      return seen ? { ...caller.profile, lastSeenAt: seen.toISOString() } : caller.profile
    },

    updateUser: async ({ ctx, caller, params, body, origin }) => {
      const id = resolveUserRef(caller, params.id)
      if (!passwordResetAllows(caller, id)) throw passwordResetPending()
      if (!canManageUser(caller, id))
        throw new ForbiddenError("only an admin can change another user's password")
      const isAdmin = hasRole(caller, 'admin')
      const resetting = caller.keyScope === 'password-reset'
      return changePassword(ctx.db, id, auditContext(caller, origin), {
        password: body.password,
        // A password-reset key already proved the old (one-time) password when it was issued.
        requireOldPassword: !isAdmin && !resetting,
        oldPassword: body.oldPassword,
        oneTime: isAdmin && id !== caller.userId,
        completesResetKey: resetting ? caller.accessKeyId : undefined,
      })
    },

    deleteUser: async ({ ctx, caller, params, origin }) => {
      await deleteUser(ctx.db, resolveUserRef(caller, params.id), auditContext(caller, origin))
    },
  }
