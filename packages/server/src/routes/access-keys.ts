import { parseDuration } from '@infra/api-types'
import { canReadAll, hasRole } from '../auth/caller.js'
import { forbidden } from '../http/errors.js'
import type { HandlersFor } from '../http/handler.js'
import {
  deleteAccessKey,
  findAccessKeyOwner,
  issueAccessKey,
  listAccessKeys,
} from '../services/access-keys.js'
import { resolveUserRef } from '../services/users.js'

export const accessKeyHandlers: HandlersFor<'listAccessKeys' | 'createAccessKey' | 'deleteAccessKey'> = {
  listAccessKeys: ({ ctx, caller, query }) => {
    const userID = query.userID === undefined ? undefined : resolveUserRef(caller, query.userID)
    if (canReadAll(caller)) return listAccessKeys(ctx.db, { ...query, userID })
    if (userID !== undefined && userID !== caller.userId)
      throw forbidden('you can only list your own access keys')
    return listAccessKeys(ctx.db, { ...query, userID: caller.userId })
  },

  createAccessKey: ({ ctx, caller, body }) => {
    const userId = resolveUserRef(caller, body.userID)
    if (userId !== caller.userId && !hasRole(caller, 'admin')) {
      throw forbidden('only an admin can create access keys for another user')
    }
    return issueAccessKey(ctx.db, {
      userId,
      name: body.name,
      ttlMs: body.ttl === undefined ? ctx.settings.accessKeyTtlMs : parseDuration(body.ttl),
      extensionMs:
        body.extensionDeadline === undefined
          ? ctx.settings.accessKeyExtensionMs
          : parseDuration(body.extensionDeadline),
    })
  },

  deleteAccessKey: async ({ ctx, caller, params }) => {
    const owner = await findAccessKeyOwner(ctx.db, params.id)
    if (owner !== caller.userId && !hasRole(caller, 'admin')) {
      throw forbidden('only an admin can revoke the access keys of another user')
    }
    await deleteAccessKey(ctx.db, params.id)
  },
}
