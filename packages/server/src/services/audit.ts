import {
  AUDIT_TEXT_LIMITS,
  type AuditActor,
  type AuditEvent,
  type AuditTarget,
  type IngestedAuditEvent,
} from '@infra/api-types'
import { v7 as uuidv7 } from 'uuid'
import { Prisma, type Database, type SqlPool } from '../db/prisma.js'
import { NotFoundError } from '../domain/errors.js'

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

/** An event the server saw: it sets the ID and the stored time, and `occurredAt` defaults to now. */
export type NewAuditEvent = DistributiveOmit<AuditEvent, 'id' | 'time' | 'occurredAt'> & {
  occurredAt?: string | Date
}

type Client = Database | Prisma.TransactionClient

// NUL and lone UTF-16 surrogates cannot be stored in Postgres text or jsonb: a client's user agent or a name it
// tried at login could carry either, and would otherwise fail the transaction of the change being recorded.
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|\p{Cs}/gu

function storableText(text: string, max: number): string
function storableText(text: string | undefined, max: number): string | undefined
function storableText(text: string | undefined, max: number): string | undefined {
  return text?.replace(UNSTORABLE, '\uFFFD').slice(0, max)
}

/** Details as they can be stored: every string, and every key, cleaned the same way. */
function storableJson(value: unknown): Prisma.InputJsonValue {
  if (typeof value === 'string') return storableText(value, Infinity)
  if (Array.isArray(value)) return value.map(storableJson)
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [storableText(key, Infinity), storableJson(item)]),
    )
  }
  return value as Prisma.InputJsonValue
}

const storableActor = (actor: AuditActor) => ({
  actorKind: actor.kind,
  actorId: actor.id ?? null,
  actorName: storableText(actor.name, AUDIT_TEXT_LIMITS.actorName) ?? null,
})

const storableTarget = (target: AuditTarget | undefined) =>
  target && {
    kind: storableText(target.kind, AUDIT_TEXT_LIMITS.targetKind),
    ...(target.id !== undefined && { id: storableText(target.id, AUDIT_TEXT_LIMITS.targetId) }),
    ...(target.name !== undefined && { name: storableText(target.name, AUDIT_TEXT_LIMITS.targetName) }),
  }

/** The columns of an event, every free text shortened to what the schema allows. */
function eventColumns(event: Omit<NewAuditEvent, 'occurredAt'> & { destination?: string | undefined }) {
  return {
    type: event.type,
    outcome: event.outcome,
    reason: storableText(event.reason, AUDIT_TEXT_LIMITS.reason) ?? null,
    ...storableActor(event.actor),
    sourceIp: storableText(event.sourceIp, AUDIT_TEXT_LIMITS.sourceIp) ?? null,
    userAgent: storableText(event.userAgent, AUDIT_TEXT_LIMITS.userAgent) ?? null,
    destination: storableText(event.destination, AUDIT_TEXT_LIMITS.destination) ?? null,
    target: storableTarget(event.target) ?? null,
    details: storableJson(event.details),
  }
}

/**
 * Stores a server event. Pass the transaction of the change it records, so that both commit or neither does.
 * It only inserts one row of its own (no lock, no reference to other tables): the chain seals it afterwards.
 */
export async function recordAuditEvent(db: Client, event: NewAuditEvent): Promise<void> {
  const occurredAt = event.occurredAt === undefined ? new Date() : new Date(event.occurredAt)
  const columns = eventColumns(event)
  await db.auditEvent.create({
    data: {
      ...columns,
      // Without a time of its own the library keeps this process's IDs in order, also within a millisecond.
      id: event.occurredAt === undefined ? uuidv7() : uuidv7({ msecs: occurredAt.getTime() }),
      occurredAt,
      target: columns.target ?? Prisma.DbNull,
    },
  })
}

export interface IngestResult {
  accepted: number
  duplicates: number
}

/**
 * Stores a connector's batch in one statement; an ID already stored (a batch sent again after a lost answer or
 * a restart) is skipped, not an error.
 */
export async function ingestAuditEvents(
  sql: SqlPool,
  destination: string,
  events: IngestedAuditEvent[],
): Promise<IngestResult> {
  const known = await sql.query('SELECT 1 FROM destinations WHERE name = $1', [destination])
  if (known.rowCount === 0) throw new NotFoundError(`destination "${destination}"`)
  const rows = events.map((event) => ({
    id: event.id,
    occurredAt: event.occurredAt,
    ...eventColumns({ ...event, destination }),
  }))
  const inserted = await sql.query(
    `INSERT INTO audit_events (id, occurred_at, type, outcome, reason, actor_kind, actor_id, actor_name,
                               source_ip, user_agent, destination, target, details)
     SELECT id, "occurredAt", type, outcome, reason, "actorKind", "actorId", "actorName",
            "sourceIp", "userAgent", destination, target, details
     FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, "occurredAt" timestamptz, type text, outcome text,
          reason text, "actorKind" text, "actorId" text, "actorName" text, "sourceIp" text, "userAgent" text,
          destination text, target jsonb, details jsonb)
     ON CONFLICT (id) DO NOTHING`,
    [JSON.stringify(rows)],
  )
  const accepted = inserted.rowCount ?? 0
  return { accepted, duplicates: events.length - accepted }
}
