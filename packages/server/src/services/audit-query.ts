import {
  Id,
  parseDuration,
  type AuditEvent,
  type AuditEventPage,
  type ListAuditEventsQuery,
  type StreamAuditEventsQuery,
} from '@infra/api-types'
import type { z } from 'zod'
import type { SqlPool } from '../db/prisma.js'
import { fieldError, invalidFields, NotFoundError } from '../domain/errors.js'
import { AUDIT_EVENT_JSON } from './audit-rows.js'
import { Conditions, JsonText } from './json-page.js'

export type AuditFilters = Omit<z.output<typeof StreamAuditEventsQuery>, 'follow'>

/** An RFC 3339 instant, or a duration back from `now`. */
function instant(bound: string, now: number): number {
  return /^\d{4}-/.test(bound) ? Date.parse(bound) : now - parseDuration(bound)
}

/**
 * The lowest UUIDv7 of a millisecond: since IDs begin with their time, `since` and `until` are ranges of the
 * primary key, which every filtered page can walk in order.
 */
function firstIdAt(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0').slice(-12)
  return `${hex.slice(0, 8)}-${hex.slice(8)}-0000-0000-000000000000`
}

/** The conditions every read of the log shares (alias `e`). */
async function filterConditions(sql: SqlPool, filters: AuditFilters): Promise<Conditions> {
  const conditions = new Conditions()
  const param = (value: unknown) => conditions.param(value)
  const now = Date.now()
  if (filters.since !== undefined) conditions.add(`e.id >= ${param(firstIdAt(instant(filters.since, now)))}`)
  if (filters.until !== undefined)
    conditions.add(`e.id < ${param(firstIdAt(instant(filters.until, now) + 1))}`)
  if (filters.user !== undefined) conditions.add(await actorCondition(sql, filters.user, param))
  if (filters.destination !== undefined) conditions.add(`e.destination = ${param(filters.destination)}`)
  if (filters.type !== undefined) conditions.add(`e.type = ANY(${param(filters.type)}::text[])`)
  if (filters.outcome !== undefined) conditions.add(`e.outcome = ${param(filters.outcome)}`)
  return conditions
}

/**
 * Events name their actor by name (kube events carry only the name Kubernetes saw), so a user ID is looked up;
 * the ID of a user since removed still finds the server's events, which carry IDs too.
 */
async function actorCondition(
  sql: SqlPool,
  user: string,
  param: (value: unknown) => string,
): Promise<string> {
  if (!Id.safeParse(user).success) return `e.actor_name = ${param(user)}`
  const { rows } = await sql.query<{ name: string }>('SELECT name FROM users WHERE id = $1', [user])
  const name = rows[0]?.name
  return name === undefined ? `e.actor_id = ${param(user)}` : `e.actor_name = ${param(name)}`
}

type ListQuery = z.output<typeof ListAuditEventsQuery>

/** One keyset page by ID, written by Postgres. */
export async function listAuditEvents(sql: SqlPool, query: ListQuery): Promise<JsonText<AuditEventPage>> {
  const conditions = await filterConditions(sql, query)
  const newest = query.order === 'newest'
  if (query.after !== undefined) conditions.add(`e.id ${newest ? '<' : '>'} ${conditions.param(query.after)}`)
  // One more than a page tells whether there is a next one.
  const { rows } = await sql.query<{ id: string; item: string }>(
    `SELECT e.id, ${AUDIT_EVENT_JSON}::text AS item FROM audit_events e
     WHERE ${conditions.where} ORDER BY e.id ${newest ? 'DESC' : 'ASC'} LIMIT ${query.limit + 1}`,
    conditions.params,
  )
  const page = rows.slice(0, query.limit)
  const next = rows.length > query.limit ? (page.at(-1)?.id ?? null) : null
  return new JsonText(`{"items":[${page.map((row) => row.item).join(',')}],"next":${JSON.stringify(next)}}`)
}

export async function getAuditEvent(sql: SqlPool, id: string): Promise<JsonText<AuditEvent>> {
  const { rows } = await sql.query<{ item: string }>(
    `SELECT ${AUDIT_EVENT_JSON}::text AS item FROM audit_events e WHERE e.id = $1`,
    [id],
  )
  const item = rows[0]?.item
  if (item === undefined) throw new NotFoundError('audit event')
  return new JsonText(item)
}

/** Where a stream resumes: the chain position of the event it last read (0 for the start). */
export async function streamPosition(sql: SqlPool, after: string | undefined): Promise<bigint> {
  if (after === undefined) return 0n
  const { rows } = await sql.query<{ seq: string | null }>('SELECT seq FROM audit_events WHERE id = $1', [
    after,
  ])
  const row = rows[0]
  if (!row) {
    throw invalidFields('query', [
      fieldError('after', 'is no event of the log (removed by retention?): start again with since'),
    ])
  }
  // Not sealed yet (listed, but not yet streamed): resume from before it, which the stream's order reaches.
  if (row.seq === null) return streamPositionOfUnsealed(sql)
  return BigInt(row.seq)
}

/** Everything sealed so far precedes an event still waiting for the sealer. */
async function streamPositionOfUnsealed(sql: SqlPool): Promise<bigint> {
  const { rows } = await sql.query<{ seq: string }>(`SELECT seq FROM audit_chain WHERE name = 'head'`)
  return BigInt(rows[0]?.seq ?? 0)
}

export interface StreamBatch {
  lines: string[]
  /** The chain position of the last event read, filtered out or not: where the next batch starts. */
  position: bigint
}

const STREAM_BATCH = 500

/** The next sealed events after `position` in chain order, those matching the filters as JSON lines. */
export async function nextStreamBatch(
  sql: SqlPool,
  filters: AuditFilters,
  position: bigint,
): Promise<StreamBatch> {
  const conditions = await filterConditions(sql, filters)
  const { rows } = await sql.query<{ seq: string; item: string | null }>(
    `SELECT e.seq, CASE WHEN ${conditions.where} THEN ${AUDIT_EVENT_JSON}::text END AS item
     FROM audit_events e
     WHERE e.seq > ${conditions.param(position.toString())}
     ORDER BY e.seq LIMIT ${STREAM_BATCH}`,
    conditions.params,
  )
  const last = rows.at(-1)
  return {
    lines: rows.flatMap((row) => (row.item === null ? [] : [row.item])),
    position: last ? BigInt(last.seq) : position,
  }
}
