import type { Group, ListGroupsQuery, Page } from '@infra/api-types'
import type { z } from 'zod'
import { isForeignKeyViolation, isUniqueViolation } from '../db/errors.js'
import { newId } from '../db/ids.js'
import type { Database, SqlPool } from '../db/prisma.js'
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

export async function createGroup(db: Database, name: string): Promise<Group> {
  try {
    return toApiGroup(await db.group.create({ data: { id: newId(), name }, include: withMemberCount }))
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken('group', name)
    throw error
  }
}

export async function deleteGroup(db: Database, id: string): Promise<void> {
  await deleteKeepingAnAdmin(db, 'group', (tx) => tx.group.deleteMany({ where: { id } }))
}

export async function updateMembers(
  db: Database,
  groupId: string,
  changes: { add: string[]; remove: string[] },
): Promise<void> {
  await db.$transaction(async (tx) => {
    if (!(await tx.group.findUnique({ where: { id: groupId }, select: { id: true } })))
      throw new NotFoundError('group')
    const wanted = [...new Set(changes.add)]
    const found = await tx.user.count({ where: { id: { in: wanted } } })
    if (found !== wanted.length) throw new NotFoundError('one of usersToAdd')
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
    await tx.group.update({ where: { id: groupId }, data: { updated: new Date() } })
  })
}
