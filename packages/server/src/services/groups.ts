import type { Group, ListGroupsQuery, Page } from '@infra/api-types'
import type { z } from 'zod'
import { isForeignKeyViolation, isUniqueViolation } from '../db/errors.js'
import { newId } from '../db/ids.js'
import type { Database, Prisma } from '../db/prisma.js'
import { NotFoundError, nameTaken } from '../domain/errors.js'
import { deleteKeepingAnAdmin } from './admins.js'
import { pageOf, skipTake } from './pagination.js'
import { toApiGroup } from './serialize.js'

const withMemberCount = { _count: { select: { members: true } } } as const

export async function listGroups(
  db: Database,
  query: z.output<typeof ListGroupsQuery>,
): Promise<Page<Group>> {
  const where: Prisma.GroupWhereInput = {
    ...(query.name !== undefined ? { name: query.name } : {}),
    ...(query.userID !== undefined ? { members: { some: { userId: query.userID } } } : {}),
  }
  const [groups, total] = await Promise.all([
    db.group.findMany({
      where,
      include: withMemberCount,
      orderBy: [{ name: 'asc' }, { id: 'asc' }],
      ...skipTake(query),
    }),
    db.group.count({ where }),
  ])
  return pageOf(groups.map(toApiGroup), total, query)
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
