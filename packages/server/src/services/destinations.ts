import type { Destination, DestinationRequest, ListDestinationsQuery, Page } from '@infra/api-types'
import type { z } from 'zod'
import { isUniqueViolation } from '../db/errors.js'
import { newId } from '../db/ids.js'
import type { Database, Prisma, SqlPool } from '../db/prisma.js'
import type { AuditContext } from '../http/audit-context.js'
import { recordAuditEvent } from './audit.js'
import { NotFoundError, nameTaken } from '../domain/errors.js'
import { Conditions, listPage, type JsonText } from './json-page.js'
import { destinationJson, toApiDestination } from './serialize.js'

type DestinationInput = z.output<typeof DestinationRequest>

const columns = (input: DestinationInput) => ({
  name: input.name,
  uniqueID: input.uniqueID,
  kind: input.kind,
  version: input.version,
  connectionUrl: input.connection.url,
  connectionCa: input.connection.ca,
  resources: input.resources,
  roles: input.roles,
})

export function listDestinations(
  sql: SqlPool,
  query: z.output<typeof ListDestinationsQuery>,
  connectedWindowMs: number,
): Promise<JsonText<Page<Destination>>> {
  const conditions = new Conditions()
  if (query.name !== undefined) conditions.add(`d.name = ${conditions.param(query.name)}`)
  if (query.kind !== undefined) conditions.add(`d.kind = ${conditions.param(query.kind)}`)
  if (query.unique_id !== undefined) conditions.add(`d.unique_id = ${conditions.param(query.unique_id)}`)
  const { where, params } = conditions
  const fields = destinationJson(connectedWindowMs)
  return listPage(sql, { from: 'destinations d', where, params, orderBy: 'd.name, d.id', fields }, query)
}

export async function getDestination(
  db: Database,
  id: string,
  connectedWindowMs: number,
): Promise<Destination> {
  const destination = await db.destination.findUnique({ where: { id } })
  if (!destination) throw new NotFoundError('destination')
  return toApiDestination(destination, connectedWindowMs)
}

type DestinationEvent = 'destination.created' | 'destination.updated' | 'destination.removed'

const recordDestination = (
  tx: Prisma.TransactionClient,
  type: DestinationEvent,
  destination: { id: string; name: string },
  by: AuditContext,
  details: Record<string, unknown> = {},
) =>
  recordAuditEvent(tx, {
    type,
    outcome: 'success',
    ...by,
    destination: destination.name,
    target: { kind: 'destination', id: destination.id, name: destination.name },
    details,
  })

/** A connector (or admin) registering a destination is also a sign of life: it counts as last seen now. */
export async function createDestination(
  db: Database,
  input: DestinationInput,
  connectedWindowMs: number,
  by: AuditContext,
): Promise<Destination> {
  try {
    const destination = await db.$transaction(async (tx) => {
      const created = await tx.destination.create({
        data: { id: newId(), ...columns(input), lastSeen: new Date() },
      })
      await recordDestination(tx, 'destination.created', created, by)
      return created
    })
    return toApiDestination(destination, connectedWindowMs)
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken('destination', input.name)
    throw error
  }
}

/** The columns whose values a change would alter (arrays compared by value). */
function changedColumns(current: Record<string, unknown>, next: ReturnType<typeof columns>): string[] {
  return Object.entries(next)
    .filter(([column, value]) => JSON.stringify(current[column]) !== JSON.stringify(value))
    .map(([column]) => column)
}

/**
 * Connectors send their destination again as a heartbeat: only a change of what it says (its namespaces, roles,
 * address, …) is recorded.
 */
export async function updateDestination(
  db: Database,
  id: string,
  input: DestinationInput,
  connectedWindowMs: number,
  by: AuditContext,
): Promise<Destination> {
  try {
    await db.$transaction(async (tx) => {
      const current = await tx.destination.findUnique({ where: { id } })
      if (!current) throw new NotFoundError('destination')
      const next = columns(input)
      await tx.destination.updateMany({ where: { id }, data: { ...next, lastSeen: new Date() } })
      const changed = changedColumns(current, next)
      if (changed.length > 0) {
        await recordDestination(tx, 'destination.updated', { id, name: next.name }, by, { fields: changed })
      }
    })
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken('destination', input.name)
    throw error
  }
  return getDestination(db, id, connectedWindowMs)
}

export async function deleteDestination(db: Database, id: string, by: AuditContext): Promise<void> {
  await db.$transaction(async (tx) => {
    const destination = await tx.destination.findUnique({ where: { id }, select: { id: true, name: true } })
    const { count } = await tx.destination.deleteMany({ where: { id } })
    if (count === 0 || !destination) throw new NotFoundError('destination')
    await recordDestination(tx, 'destination.removed', destination, by)
  })
}

// Infra's own connector names its destination on every request, long polls included: one write in this many.
const SEEN_GRANULARITY_MS = 5_000

/** A request from the connector of a destination, by name: a sign of life, as a heartbeat is. */
export async function markDestinationSeen(db: Database, name: string): Promise<void> {
  const now = new Date()
  await db.destination.updateMany({
    where: {
      name,
      OR: [{ lastSeen: null }, { lastSeen: { lt: new Date(now.getTime() - SEEN_GRANULARITY_MS) } }],
    },
    data: { lastSeen: now },
  })
}
