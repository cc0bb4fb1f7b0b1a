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
import type { Database, DatabaseClient, Prisma, SqlPool } from '../db/prisma.js'
import { NotFoundError } from '../domain/errors.js'
import type { AuditContext } from '../http/audit-context.js'
import { recordAuditEvent } from './audit.js'
import { deleteKeepingAnAdmin, ensureAnAdminRemains, lockAdminGrants } from './admins.js'
import { Conditions, listPage, type JsonText } from './json-page.js'
import { grantJson, toApiGrant } from './serialize.js'

/** A grants query with `self` resolved: `user` is a user ID. */
export type GrantFilters = Omit<z.output<typeof ListGrantsQuery>, 'user'> & { user?: string | undefined }

/** The WHERE clause and parameters of a grants query. */
function grantConditions(filters: GrantFilters): Conditions {
  const conditions = new Conditions()
  const param = (value: unknown) => conditions.param(value)
  if (filters.user !== undefined) {
    const user = param(filters.user)
    conditions.add(
      filters.showInherited
        ? // = ANY(ARRAY(...)) lets Postgres combine the user_id and group_id indexes; IN (SELECT ...) scans the table.
          `(g.user_id = ${user} OR g.group_id = ANY(ARRAY(SELECT group_id FROM group_members WHERE user_id = ${user})))`
        : `g.user_id = ${user}`,
    )
  }
  if (filters.group !== undefined) conditions.add(`g.group_id = ${param(filters.group)}`)
  if (filters.resource !== undefined) conditions.add(`g.resource = ${param(filters.resource)}`)
  if (filters.destination !== undefined) conditions.add(`g.destination = ${param(filters.destination)}`)
  if (filters.privilege !== undefined) conditions.add(`g.privilege = ${param(filters.privilege)}`)
  // Grants that connectors hold on Infra itself are plumbing, hidden unless showSystem is asked for.
  if (!filters.showSystem)
    conditions.add(`NOT (g.resource = ${param(INFRA_RESOURCE)} AND g.privilege = 'connector')`)
  return conditions
}

/**
 * Plain SQL, one round trip for the page and its total: connectors and agents list grants on every change,
 * and a user's inherited grants must stay fast with hundreds of thousands of grants.
 */
export function listGrants(sql: SqlPool, filters: GrantFilters): Promise<JsonText<Page<Grant>>> {
  const { where, params } = grantConditions(filters)
  return listPage(
    sql,
    { from: 'grants g', where, params, orderBy: 'g.created, g.id', fields: grantJson },
    filters,
  )
}

export async function getGrant(db: Database, id: string): Promise<Grant> {
  const grant = await db.grant.findUnique({ where: { id } })
  if (!grant) throw new NotFoundError('grant')
  return toApiGrant(grant)
}

export interface GrantSubject {
  userId?: string
  groupId?: string
}

/** Turns the subject of a grant request (ID or name; `self` already resolved) into an existing user or group. */
export async function resolveSubject(db: DatabaseClient, request: GrantRequest): Promise<GrantSubject> {
  if (request.user !== undefined) {
    if (!(await db.user.findUnique({ where: { id: request.user }, select: { id: true } })))
      throw new NotFoundError('user')
    return { userId: request.user }
  }
  if (request.group !== undefined) {
    if (!(await db.group.findUnique({ where: { id: request.group }, select: { id: true } })))
      throw new NotFoundError('group')
    return { groupId: request.group }
  }
  if (request.userName !== undefined) {
    const user = await db.user.findUnique({ where: { name: request.userName }, select: { id: true } })
    if (!user) throw new NotFoundError(`user "${request.userName}"`)
    return { userId: user.id }
  }
  const group = await db.group.findUnique({ where: { name: request.groupName ?? '' }, select: { id: true } })
  if (!group) throw new NotFoundError(`group "${request.groupName}"`)
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

type GrantRow = Prisma.GrantGetPayload<object>

/** A grant's event: its subject, privilege and resource, and the destination it gives access to. */
async function recordGrant(
  tx: Prisma.TransactionClient,
  type: 'grant.created' | 'grant.removed',
  grant: GrantRow,
  by: AuditContext,
): Promise<void> {
  await recordAuditEvent(tx, {
    type,
    outcome: 'success',
    ...by,
    ...(grant.resource === INFRA_RESOURCE ? {} : { destination: grant.destination }),
    target: { kind: 'grant', id: grant.id },
    details: {
      ...(grant.userId ? { user: grant.userId } : {}),
      ...(grant.groupId ? { group: grant.groupId } : {}),
      privilege: grant.privilege,
      resource: grant.resource,
    },
  })
}

/** Creates the grant unless an identical one exists; concurrent identical requests all succeed, one creates. */
async function createGrantIn(
  tx: Prisma.TransactionClient,
  subject: GrantSubject,
  request: GrantRequest,
  by: AuditContext,
): Promise<CreateGrantResponse> {
  const createdBy = by.actor.id ?? ''
  try {
    // ON CONFLICT DO NOTHING: no error, so this is also safe inside a transaction.
    const [created] = await tx.grant.createManyAndReturn({
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
    if (created) {
      await recordGrant(tx, 'grant.created', created, by)
      return { ...toApiGrant(created), wasCreated: true }
    }
    const grant = await tx.grant.findFirst({ where: sameGrant(subject, request) })
    if (!grant) throw new NotFoundError(subject.userId ? 'user' : 'group')
    return { ...toApiGrant(grant), wasCreated: false }
  } catch (error) {
    if (isForeignKeyViolation(error)) throw new NotFoundError(subject.userId ? 'user' : 'group')
    throw error
  }
}

export function createGrant(
  db: Database,
  request: GrantRequest,
  by: AuditContext,
): Promise<CreateGrantResponse> {
  return db.$transaction(async (tx) => createGrantIn(tx, await resolveSubject(tx, request), request, by))
}

/** Removes the grants `where` finds, recording each. */
async function removeGrants(tx: Prisma.TransactionClient, where: Prisma.GrantWhereInput, by: AuditContext) {
  const grants = await tx.grant.findMany({ where })
  const removed = await tx.grant.deleteMany({ where: { id: { in: grants.map((grant) => grant.id) } } })
  for (const grant of grants) await recordGrant(tx, 'grant.removed', grant, by)
  return removed
}

export async function deleteGrant(db: Database, id: string, by: AuditContext): Promise<void> {
  await deleteKeepingAnAdmin(db, 'grant', (tx) => removeGrants(tx, { id }, by))
}

/** Applies additions and removals in one transaction: all of them, or none. */
export async function patchGrants(
  db: Database,
  changes: { add: GrantRequest[]; remove: GrantRequest[] },
  by: AuditContext,
): Promise<void> {
  await db.$transaction(async (tx) => {
    await lockAdminGrants(tx)
    for (const request of changes.add) await createGrantIn(tx, await resolveSubject(tx, request), request, by)
    for (const request of changes.remove) {
      await removeGrants(tx, sameGrant(await resolveSubject(tx, request), request), by)
    }
    await ensureAnAdminRemains(tx)
  })
}
