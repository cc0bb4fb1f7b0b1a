import { canReadAll, hasRole } from '../auth/caller.js'
import { hashPassword, passwordMatches } from '../auth/passwords.js'
import { badRequest, forbidden, notFound } from '../http/errors.js'
import type { HandlersFor } from '../http/handler.js'
import { createUser, deleteUser, getUser, listUsers, resolveUserRef } from '../services/users.js'
import { toApiUser } from '../services/serialize.js'

// A key from a one-time password login proved only that password: it may set its own user's new one, nothing more.
const passwordResetOnlySelf = () =>
  forbidden('a new password is required before anything else: update it with PUT /api/users/self')

export const userHandlers: HandlersFor<'listUsers' | 'createUser' | 'getUser' | 'updateUser' | 'deleteUser'> =
  {
    listUsers: ({ ctx, query }) => listUsers(ctx.db, query),

    createUser: ({ ctx, body }) => createUser(ctx.db, body.name),

    getUser: async ({ ctx, caller, params }) => {
      const id = resolveUserRef(caller, params.id)
      if (caller.keyScope === 'password-reset' && id !== caller.userId) throw passwordResetOnlySelf()
      if (id !== caller.userId && !canReadAll(caller) && !hasRole(caller, 'connector')) {
        throw forbidden('you can only read your own user')
      }
      if (id !== caller.userId) return getUser(ctx.sql, id)
      // Reading yourself is the most frequent call of all: answered from the authenticated key's cache, with
      // this very request as the latest sign of life.
      const seen = ctx.usage.lastUse(caller.accessKeyId)
      return seen ? { ...caller.profile, lastSeenAt: seen.toISOString() } : caller.profile
    },

    updateUser: async ({ ctx, caller, params, body }) => {
      const id = resolveUserRef(caller, params.id)
      const isAdmin = hasRole(caller, 'admin')
      const isSelf = id === caller.userId
      if (caller.keyScope === 'password-reset' && !isSelf) throw passwordResetOnlySelf()
      if (!isSelf && !isAdmin) throw forbidden("only an admin can change another user's password")
      const user = await ctx.db.user.findUnique({ where: { id } })
      if (!user) throw notFound('user')
      // A password-reset key already proved the old (one-time) password when it was issued.
      if (!isAdmin && caller.keyScope !== 'password-reset') {
        if (body.oldPassword === undefined) {
          throw badRequest('oldPassword is required', [
            { oldPassword: ['is required to change your password'] },
          ])
        }
        if (!(await passwordMatches(body.oldPassword, user.passwordHash))) {
          throw badRequest('oldPassword is incorrect', [{ oldPassword: ['is incorrect'] }])
        }
      }
      const updated = await ctx.db.$transaction(async (tx) => {
        // A password an admin sets for someone else is one-time: its owner must choose their own at next login.
        const changed = await tx.user.update({
          where: { id },
          data: { passwordHash: await hashPassword(body.password), passwordIsOneTime: isAdmin && !isSelf },
        })
        if (isSelf && caller.keyScope === 'password-reset') {
          await tx.accessKey.update({ where: { id: caller.accessKeyId }, data: { scope: 'full' } })
        }
        return changed
      })
      return toApiUser(updated)
    },

    deleteUser: async ({ ctx, caller, params }) => {
      await deleteUser(ctx.db, resolveUserRef(caller, params.id))
    },
  }
