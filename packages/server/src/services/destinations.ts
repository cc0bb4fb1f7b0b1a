import type { Destination, DestinationRequest, ListDestinationsQuery, Page } from '@infra/api-types'
import type { z } from 'zod'
import { isUniqueViolation } from '../db/errors.js'
import { newId } from '../db/ids.js'
import type { Database, SqlPool } from '../db/prisma.js'
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

/** A connector (or admin) registering a destination is also a sign of life: it counts as last seen now. */
export async function createDestination(
  db: Database,
  input: DestinationInput,
  connectedWindowMs: number,
): Promise<Destination> {
  try {
    const destination = await db.destination.create({
      data: { id: newId(), ...columns(input), lastSeen: new Date() },
    })
    return toApiDestination(destination, connectedWindowMs)
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken('destination', input.name)
    throw error
  }
}

export async function updateDestination(
  db: Database,
  id: string,
  input: DestinationInput,
  connectedWindowMs: number,
): Promise<Destination> {
  try {
    const { count } = await db.destination.updateMany({
      where: { id },
      data: { ...columns(input), lastSeen: new Date() },
    })
    if (count === 0) throw new NotFoundError('destination')
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken('destination', input.name)
    throw error
  }
  return getDestination(db, id, connectedWindowMs)
}

export async function deleteDestination(db: Database, id: string): Promise<void> {
  const { count } = await db.destination.deleteMany({ where: { id } })
  if (count === 0) throw new NotFoundError('destination')
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
