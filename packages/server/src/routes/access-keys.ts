import { parseDuration } from '@infra/api-types'
import { asksOnlyForSelf, canManageUser, canReadAll } from '../auth/policies.js'
import { fieldError, ForbiddenError, invalidFields } from '../domain/errors.js'
import { auditContext } from '../http/audit-context.js'
import type { HandlersFor } from '../http/handler.js'
import {
  createAccessKey,
  deleteAccessKey,
  findAccessKeyOwner,
  listAccessKeys,
} from '../services/access-keys.js'
import { resolveUserRef } from '../services/users.js'

// A century: beyond it a key is as good as eternal, and the arithmetic leaves the range of dates and columns.
const MAX_KEY_DURATION_MS = 100 * 365 * 24 * 3_600_000

/** A duration from the request in milliseconds: more than nothing, and not beyond what dates can hold. */
function durationField(
  field: 'expiry' | 'inactivityTimeout',
  text: string | undefined,
  fallback: number,
): number {
  if (text === undefined) return fallback
  const ms = parseDuration(text)
  if (!Number.isFinite(ms) || ms <= 0 || ms > MAX_KEY_DURATION_MS) {
    throw invalidFields('body', [fieldError(field, 'must be more than 0s and at most 876000h')])
  }
  return ms
}

export const accessKeyHandlers: HandlersFor<'listAccessKeys' | 'createAccessKey' | 'deleteAccessKey'> = {
  listAccessKeys: async ({ ctx, caller, query }) => {
    const userID = query.userID === undefined ? undefined : resolveUserRef(caller, query.userID)
    if (canReadAll(caller)) return listAccessKeys(ctx.sql, { ...query, userID })
    if (!asksOnlyForSelf(caller, userID)) throw new ForbiddenError('you can only list your own access keys')
    return listAccessKeys(ctx.sql, { ...query, userID: caller.userId })
  },

  createAccessKey: async ({ ctx, caller, body, origin }) => {
    const userId = resolveUserRef(caller, body.userID)
    if (!canManageUser(caller, userId)) {
      throw new ForbiddenError('only an admin can create access keys for another user')
    }
    const issue = {
      userId,
      name: body.name,
      ttlMs: durationField('expiry', body.expiry, ctx.settings.accessKeyTtlMs),
      extensionMs: durationField(
        'inactivityTimeout',
        body.inactivityTimeout,
        ctx.settings.accessKeyExtensionMs,
      ),
    }
    return createAccessKey(ctx.db, issue, auditContext(caller, origin))
  },

  deleteAccessKey: async ({ ctx, caller, params, origin }) => {
    const owner = await findAccessKeyOwner(ctx.db, params.id)
    if (!canManageUser(caller, owner)) {
      throw new ForbiddenError('only an admin can revoke the access keys of another user')
    }
    await deleteAccessKey(ctx.db, params.id, auditContext(caller, origin))
  },
}
