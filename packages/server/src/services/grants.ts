import {
  INFRA_RESOURCE,
  parseResource,
  type CreateGrantResponse,
  type Grant,
  type GrantRequest,
  type ListGrantsQuery,
  type Page,
} from '@infra/api-types'
import type { z } from 'zod'
import { isForeignKeyViolation } from '../db/errors.js'
import { newId } from '../db/ids.js'
import type { Database, Prisma } from '../db/prisma.js'
import { notFound } from '../http/errors.js'
import { ensureAnAdminRemains, lockAdminGrants } from './admins.js'
import { pageOf, skipTake } from './pagination.js'
import { toApiGrant } from './serialize.js'

export type GrantFilters = Omit<z.output<typeof ListGrantsQuery>, 'user'> & { user?: string }

/** Grants that connectors hold on Infra itself: plumbing, hidden unless showSystem is asked for. */
const systemGrant: Prisma.GrantWhereInput = { resource: INFRA_RESOURCE, privilege: 'connector' }

export function grantsWhere(filters: GrantFilters): Prisma.GrantWhereInput {
  const conditions: Prisma.GrantWhereInput[] = []
  if (filters.user !== undefined) {
    conditions.push(
      filters.showInherited
        ? { OR: [{ userId: filters.user }, { group: { members: { some: { userId: filters.user } } } }] }
        : { userId: filters.user },
    )
  }
  if (filters.group !== undefined) conditions.push({ groupId: filters.group })
  if (filters.resource !== undefined) conditions.push({ resource: filters.resource })
  if (filters.destination !== undefined) conditions.push({ destination: filters.destination })
  if (filters.privilege !== undefined) conditions.push({ privilege: filters.privilege })
  if (!filters.showSystem) conditions.push({ NOT: systemGrant })
  return { AND: conditions }
}

export async function listGrants(db: Database, filters: GrantFilters): Promise<Page<Grant>> {
  const where = grantsWhere(filters)
  const [grants, total] = await Promise.all([
    db.grant.findMany({ where, orderBy: [{ created: 'asc' }, { id: 'asc' }], ...skipTake(filters) }),
    db.grant.count({ where }),
  ])
  return pageOf(grants.map(toApiGrant), total, filters)
}

export async function getGrant(db: Database, id: string) {
  const grant = await db.grant.findUnique({ where: { id } })
  if (!grant) throw notFound('grant')
  return grant
}

type Client = Database | Prisma.TransactionClient

export interface GrantSubject {
  userId?: string
  groupId?: string
}

/** Turns the subject of a grant request (ID or name; `self` already resolved) into an existing user or group. */
export async function resolveSubject(
  db: Client,
  request: GrantRequest & { user?: string },
): Promise<GrantSubject> {
  if (request.user !== undefined) {
    if (!(await db.user.findUnique({ where: { id: request.user }, select: { id: true } })))
      throw notFound('user')
    return { userId: request.user }
  }
  if (request.group !== undefined) {
    if (!(await db.group.findUnique({ where: { id: request.group }, select: { id: true } })))
      throw notFound('group')
    return { groupId: request.group }
  }
  if (request.userName !== undefined) {
    const user = await db.user.findUnique({ where: { name: request.userName }, select: { id: true } })
    if (!user) throw notFound(`user "${request.userName}"`)
    return { userId: user.id }
  }
  const group = await db.group.findUnique({ where: { name: request.groupName ?? '' }, select: { id: true } })
  if (!group) throw notFound(`group "${request.groupName}"`)
  return { groupId: group.id }
}

function destinationOf(resource: string): string {
  const parsed = parseResource(resource)
  return parsed.ok ? parsed.value.destination : resource
}

const sameGrant = (subject: GrantSubject, request: GrantRequest): Prisma.GrantWhereInput => ({
  userId: subject.userId ?? null,
  groupId: subject.groupId ?? null,
  privilege: request.privilege,
  resource: request.resource,
})

/** Creates the grant unless an identical one exists; concurrent identical requests all succeed, one creates. */
export async function createGrant(
  db: Client,
  subject: GrantSubject,
  request: GrantRequest,
  createdBy: string,
): Promise<CreateGrantResponse> {
  try {
    // ON CONFLICT DO NOTHING: no error, so this is also safe inside a transaction.
    const { count } = await db.grant.createMany({
      data: [
        {
          id: newId(),
          ...subject,
          privilege: request.privilege,
          resource: request.resource,
          destination: destinationOf(request.resource),
          createdBy,
        },
      ],
      skipDuplicates: true,
    })
    const grant = await db.grant.findFirst({ where: sameGrant(subject, request) })
    if (!grant) throw notFound(subject.userId ? 'user' : 'group')
    return { ...toApiGrant(grant), wasCreated: count === 1 }
  } catch (error) {
    if (isForeignKeyViolation(error)) throw notFound(subject.userId ? 'user' : 'group')
    throw error
  }
}

export async function deleteGrant(db: Database, id: string): Promise<void> {
  await db.$transaction(async (tx) => {
    await lockAdminGrants(tx)
    const { count } = await tx.grant.deleteMany({ where: { id } })
    if (count === 0) throw notFound('grant')
    await ensureAnAdminRemains(tx)
  })
}

/** Applies additions and removals in one transaction: all of them, or none. */
export async function patchGrants(
  db: Database,
  changes: { add: GrantRequest[]; remove: GrantRequest[] },
  createdBy: string,
): Promise<void> {
  await db.$transaction(async (tx) => {
    await lockAdminGrants(tx)
    for (const request of changes.add)
      await createGrant(tx, await resolveSubject(tx, request), request, createdBy)
    for (const request of changes.remove) {
      await tx.grant.deleteMany({ where: sameGrant(await resolveSubject(tx, request), request) })
    }
    await ensureAnAdminRemains(tx)
  })
}
