import type { Grant } from '@infra/api-types'
import { ForbiddenError } from '../domain/errors.js'
import { hasRole, type Caller } from './caller.js'

// Who may see and do what beyond the roles a route demands. Routes ask these before calling a service, so that
// each rule is written once.

/** admin and view may read everything; other callers only see what concerns them. */
export const canReadAll = (caller: Caller) => hasRole(caller, 'admin', 'view')

/** Users, groups and grants: admin and view read them all, and so do connectors, which bind what grants say. */
export const canReadAccessData = (caller: Caller) => canReadAll(caller) || hasRole(caller, 'connector')

/** A user's own keys and password are theirs to manage; an admin manages everyone's. */
/** Connectors report on their destinations; admins may stand in for one. */
export const canReportForDestinations = (caller: Caller) => hasRole(caller, 'admin', 'connector')

export const canManageUser = (caller: Caller, userId: string) =>
  userId === caller.userId || hasRole(caller, 'admin')

/** Without a role that reads everyone's, a list may be asked for one's own user only (or none, meaning one's own). */
export const asksOnlyForSelf = (caller: Caller, userId: string | undefined) =>
  userId === undefined || userId === caller.userId

/** A key from a one-time password login proved only that password: it may reach its own user, nothing more. */
export const passwordResetAllows = (caller: Caller, userId: string) =>
  caller.keyScope !== 'password-reset' || userId === caller.userId

export const passwordResetPending = () =>
  new ForbiddenError('a new password is required before anything else: update it with PUT /api/users/self')

/** Without a role that reads all grants, a caller reads those of their own and of the groups they belong to. */
export async function canReadGrant(
  caller: Caller,
  grant: Grant,
  isMember: (groupId: string) => Promise<boolean>,
): Promise<boolean> {
  if (canReadAccessData(caller) || grant.user === caller.userId) return true
  return grant.group !== undefined && isMember(grant.group)
}
