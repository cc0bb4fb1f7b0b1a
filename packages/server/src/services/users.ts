import type { CreateUserResponse, ListUsersQuery, Page, User, UserRef } from '@infra/api-types'
import type { z } from 'zod'
import type { Caller } from '../auth/caller.js'
import { generateOneTimePassword, hashPassword, passwordMatches } from '../auth/passwords.js'
import { isUniqueViolation } from '../db/errors.js'
import { newId } from '../db/ids.js'
import type { Database, SqlPool } from '../db/prisma.js'
import type { AuditContext } from '../http/audit-context.js'
import { recordAuditEvent } from './audit.js'
import { fieldError, InvalidError, NotFoundError, nameTaken } from '../domain/errors.js'
import { deleteKeepingAnAdmin } from './admins.js'
import { Conditions, listPage, type JsonText } from './json-page.js'
import { toApiUser, userJson } from './serialize.js'

export const resolveUserRef = (caller: Caller, ref: UserRef) => (ref === 'self' ? caller.userId : ref)

export function listUsers(
  sql: SqlPool,
  query: z.output<typeof ListUsersQuery>,
): Promise<JsonText<Page<User>>> {
  const conditions = new Conditions()
  if (query.name !== undefined) conditions.add(`u.name = ${conditions.param(query.name)}`)
  if (query.group !== undefined)
    conditions.add(
      `EXISTS (SELECT 1 FROM group_members m WHERE m.user_id = u.id AND m.group_id = ${conditions.param(query.group)})`,
    )
  if (query.ids !== undefined) conditions.add(`u.id = ANY(${conditions.param(query.ids)})`)
  if (!query.showSystem) conditions.add('NOT u.system')
  const { where, params } = conditions
  return listPage(sql, { from: 'users u', where, params, orderBy: 'u.name, u.id', fields: userJson }, query)
}

/** Plain SQL: every client reads its own user (`GET /api/users/self`) often. */
export async function getUser(sql: SqlPool, id: string): Promise<User> {
  const { rows } = await sql.query<{
    id: string
    name: string
    created: Date
    updated: Date
    last_seen_at: Date | null
    provider_names: string[]
  }>('SELECT id, name, created, updated, last_seen_at, provider_names FROM users WHERE id = $1', [id])
  const row = rows[0]
  if (!row) throw new NotFoundError('user')
  return toApiUser({ ...row, lastSeenAt: row.last_seen_at, providerNames: row.provider_names })
}

const userTarget = (user: { id: string; name: string }) => ({ kind: 'user', id: user.id, name: user.name })

export async function createUser(db: Database, name: string, by: AuditContext): Promise<CreateUserResponse> {
  const oneTimePassword = generateOneTimePassword()
  const passwordHash = await hashPassword(oneTimePassword)
  try {
    const user = await db.$transaction(async (tx) => {
      const created = await tx.user.create({
        data: { id: newId(), name, providerNames: ['infra'], passwordHash, passwordIsOneTime: true },
      })
      await recordAuditEvent(tx, {
        type: 'user.created',
        outcome: 'success',
        ...by,
        target: userTarget(created),
        details: {},
      })
      return created
    })
    return { id: user.id, name: user.name, oneTimePassword }
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken('user', name)
    throw error
  }
}

export async function deleteUser(db: Database, id: string, by: AuditContext): Promise<void> {
  const user = await db.user.findUnique({ where: { id }, select: { name: true, system: true } })
  if (user?.system) throw new InvalidError(`cannot delete the ${user.name} user: Infra itself needs it`)
  // Grants, group memberships and access keys go with the user (ON DELETE CASCADE), in this one transaction.
  await deleteKeepingAnAdmin(db, 'user', async (tx) => {
    const removed = await tx.user.deleteMany({ where: { id } })
    if (removed.count > 0 && user) {
      await recordAuditEvent(tx, {
        type: 'user.removed',
        outcome: 'success',
        ...by,
        target: userTarget({ id, name: user.name }),
        details: {},
      })
    }
    return removed
  })
}

interface PasswordChange {
  password: string
  /** Whether the user must prove the password they have; admins and password-reset keys need not. */
  requireOldPassword: boolean
  oldPassword?: string | undefined
  /** A password an admin sets for someone else is one-time: its owner must choose their own at next login. */
  oneTime: boolean
  /** The password-reset key this change completes: from now on it may do everything its user may. */
  completesResetKey?: string | undefined
}

export async function changePassword(
  db: Database,
  id: string,
  by: AuditContext,
  change: PasswordChange,
): Promise<User> {
  const user = await db.user.findUnique({ where: { id } })
  if (!user) throw new NotFoundError('user')
  const event = { type: 'password.changed' as const, ...by, target: userTarget(user) }
  if (change.requireOldPassword) {
    if (change.oldPassword === undefined) {
      throw new InvalidError('oldPassword is required', [
        fieldError('oldPassword', 'is required to change your password'),
      ])
    }
    if (!(await passwordMatches(change.oldPassword, user.passwordHash))) {
      // Someone holding a user's key, guessing their password.
      const reason = 'oldPassword is incorrect'
      await recordAuditEvent(db, { ...event, outcome: 'failure', reason, details: {} })
      throw new InvalidError(reason, [fieldError('oldPassword', 'is incorrect')])
    }
  }
  const passwordHash = await hashPassword(change.password)
  const updated = await db.$transaction(async (tx) => {
    const changed = await tx.user.update({
      where: { id },
      data: { passwordHash, passwordIsOneTime: change.oneTime },
    })
    if (change.completesResetKey !== undefined) {
      await tx.accessKey.update({ where: { id: change.completesResetKey }, data: { scope: 'full' } })
    }
    await recordAuditEvent(tx, { ...event, outcome: 'success', details: { oneTime: change.oneTime } })
    return changed
  })
  return toApiUser(updated)
}
