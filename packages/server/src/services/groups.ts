import type { Group, ListGroupsQuery, Page } from '@infra/api-types'
import type { z } from 'zod'
import { isForeignKeyViolation, isUniqueViolation } from '../db/errors.js'
import { newId } from '../db/ids.js'
import type { Database, DatabaseClient, Prisma, SqlPool } from '../db/prisma.js'
import type { AuditContext } from '../http/audit-context.js'
import { recordAuditEvent } from './audit.js'
import { NotFoundError, nameTaken } from '../domain/errors.js'
import { deleteKeepingAnAdmin } from './admins.js'
import { Conditions, listPage, type JsonText } from './json-page.js'
import { groupJson, toApiGroup } from './serialize.js'

const withMemberCount = { _count: { select: { members: true } } } as const

export function listGroups(
  sql: SqlPool,
  query: z.output<typeof ListGroupsQuery>,
): Promise<JsonText<Page<Group>>> {
  const conditions = new Conditions()
  if (query.name !== undefined) conditions.add(`g.name = ${conditions.param(query.name)}`)
  if (query.userID !== undefined)
    conditions.add(
      `EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = g.id AND m.user_id = ${conditions.param(query.userID)})`,
    )
  const { where, params } = conditions
  return listPage(sql, { from: 'groups g', where, params, orderBy: 'g.name, g.id', fields: groupJson }, query)
}

export async function getGroup(db: Database, id: string): Promise<Group> {
  const group = await db.group.findUnique({ where: { id }, include: withMemberCount })
  if (!group) throw new NotFoundError('group')
  return toApiGroup(group)
}

export async function isMember(db: Database, groupId: string, userId: string): Promise<boolean> {
  return (await db.groupMember.count({ where: { groupId, userId } })) > 0
}

/** The names of the groups a user belongs to, in order: what tokens for kubectl carry. */
export async function groupNamesOf(db: Database, userId: string): Promise<string[]> {
  const groups = await db.group.findMany({
    where: { members: { some: { userId } } },
    select: { name: true },
    orderBy: { name: 'asc' },
  })
  return groups.map((group) => group.name)
}

export const groupTarget = (group: { id: string; name: string }) => ({
  kind: 'group',
  id: group.id,
  name: group.name,
})

export async function recordGroupCreated(
  db: DatabaseClient,
  group: { id: string; name: string },
  by: AuditContext,
) {
  await recordAuditEvent(db, {
    type: 'group.created',
    outcome: 'success',
    ...by,
    target: groupTarget(group),
    details: {},
  })
}

export async function createGroup(db: Database, name: string, by: AuditContext): Promise<Group> {
  try {
    return await db.$transaction(async (tx) => {
      const group = await tx.group.create({ data: { id: newId(), name }, include: withMemberCount })
      await recordGroupCreated(tx, group, by)
      return toApiGroup(group)
    })
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken('group', name)
    throw error
  }
}

export async function deleteGroup(db: Database, id: string, by: AuditContext): Promise<void> {
  await deleteKeepingAnAdmin(db, 'group', async (tx) => {
    const group = await tx.group.findUnique({ where: { id }, select: { name: true } })
    const removed = await tx.group.deleteMany({ where: { id } })
    if (group && removed.count > 0) {
      await recordAuditEvent(tx, {
        type: 'group.removed',
        outcome: 'success',
        ...by,
        target: groupTarget({ id, name: group.name }),
        details: {},
      })
    }
    return removed
  })
}

const membersAmong = async (tx: Prisma.TransactionClient, groupId: string, userIds: string[]) =>
  new Set(
    (
      await tx.groupMember.findMany({ where: { groupId, userId: { in: userIds } }, select: { userId: true } })
    ).map((member) => member.userId),
  )

/**
 * Runs a change of a group's members in `tx` and records who it really added and removed (asking to add a
 * member, or to remove a non-member, changes nothing and is not recorded).
 */
async function recordingMembers(
  tx: Prisma.TransactionClient,
  group: { id: string; name: string },
  touched: string[],
  by: AuditContext,
  change: () => Promise<unknown>,
): Promise<void> {
  const before = await membersAmong(tx, group.id, touched)
  await change()
  const after = await membersAmong(tx, group.id, touched)
  const added = [...after].filter((userId) => !before.has(userId))
  const removed = [...before].filter((userId) => !after.has(userId))
  if (added.length === 0 && removed.length === 0) return
  await recordAuditEvent(tx, {
    type: 'group.members-changed',
    outcome: 'success',
    ...by,
    target: groupTarget(group),
    details: { added, removed },
  })
}

export async function updateMembers(
  db: Database,
  groupId: string,
  changes: { add: string[]; remove: string[] },
  by: AuditContext,
): Promise<void> {
  await db.$transaction(async (tx) => {
    const group = await tx.group.findUnique({ where: { id: groupId }, select: { id: true, name: true } })
    if (!group) throw new NotFoundError('group')
    const wanted = [...new Set(changes.add)]
    const found = await tx.user.count({ where: { id: { in: wanted } } })
    if (found !== wanted.length) throw new NotFoundError('one of usersToAdd')
    await recordingMembers(tx, group, [...wanted, ...changes.remove], by, async () => {
      try {
        await tx.groupMember.createMany({
          data: wanted.map((userId) => ({ groupId, userId })),
          skipDuplicates: true,
        })
      } catch (error) {
        if (isForeignKeyViolation(error)) throw new NotFoundError('one of usersToAdd')
        throw error
      }
      await tx.groupMember.deleteMany({ where: { groupId, userId: { in: changes.remove } } })
    })
    await tx.group.update({ where: { id: groupId }, data: { updated: new Date() } })
  })
}
