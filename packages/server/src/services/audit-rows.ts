import { isoTimestamp, jsonObject } from './json-page.js'

/**
 * The SQL expression Postgres writes an `audit_events e` row with, as the API's AuditEvent. The chain hashes
 * this same text (parsed and canonicalized), so what is served is exactly what is sealed and verified.
 */
export const AUDIT_EVENT_JSON = `json_strip_nulls(${jsonObject({
  id: 'e.id',
  time: isoTimestamp('e.time'),
  occurredAt: isoTimestamp('e.occurred_at'),
  type: 'e.type',
  outcome: 'e.outcome',
  reason: 'e.reason',
  actor: jsonObject({ kind: 'e.actor_kind', id: 'e.actor_id', name: 'e.actor_name' }),
  sourceIp: 'e.source_ip',
  userAgent: 'e.user_agent',
  destination: 'e.destination',
  target: 'e.target',
  details: 'e.details',
})})`
