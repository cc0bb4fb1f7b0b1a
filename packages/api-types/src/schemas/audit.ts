import { z } from 'zod'
import { DestinationName, Duration, Id, Timestamp } from '../primitives.js'
import { MAX_PAGE_LIMIT, DEFAULT_PAGE_LIMIT, queryBoolean, queryInt } from '../query.js'

/**
 * A UUIDv7: sortable by time, and made by whoever saw the event first (the connector sends its own as the
 * `Audit-ID` header to the kube-apiserver, so that both logs name the request alike). Pages are in ID order.
 */
export const AuditEventId = z
  .uuid({ version: 'v7', message: 'must be a UUIDv7' })
  .meta({ id: 'AuditEventId', example: '01937c5e-8f2a-7b1c-9d3e-4f5a6b7c8d9e' })
export type AuditEventId = z.infer<typeof AuditEventId>

export const SERVER_AUDIT_EVENT_TYPES = [
  'login',
  'logout',
  'login.locked-out',
  'password.changed',
  'access-key.created',
  'access-key.revoked',
  'access-key.expired',
  'user.created',
  'user.updated',
  'user.removed',
  'group.created',
  'group.removed',
  'group.members-changed',
  'provider.created',
  'provider.updated',
  'provider.removed',
  'destination.created',
  'destination.updated',
  'destination.removed',
  'grant.created',
  'grant.removed',
  'grant.expired',
  'token.issued',
  'audit.read',
  'audit.exported',
] as const

/** The only events a connector may send: what it saw of Kubernetes traffic. */
export const KUBE_AUDIT_EVENT_TYPES = [
  'kube.request',
  'kube.session.started',
  'kube.session.ended',
  'kube.discovery',
] as const

export const AUDIT_EVENT_TYPES = [...SERVER_AUDIT_EVENT_TYPES, ...KUBE_AUDIT_EVENT_TYPES] as const
export const AuditEventType = z.enum(AUDIT_EVENT_TYPES).meta({ id: 'AuditEventType' })
export type AuditEventType = z.infer<typeof AuditEventType>
export type KubeAuditEventType = (typeof KUBE_AUDIT_EVENT_TYPES)[number]

const text = (max: number) => z.string().max(max)

/** The longest text each free-form field holds: the server shortens what a client sent (a user agent) to fit. */
export const AUDIT_TEXT_LIMITS = {
  reason: 1024,
  sourceIp: 64,
  userAgent: 1024,
  destination: 253,
  actorName: 256,
  targetKind: 64,
  targetId: 256,
  targetName: 512,
} as const

export const AuditOutcome = z.enum(['success', 'failure']).meta({ id: 'AuditOutcome' })
export type AuditOutcome = z.infer<typeof AuditOutcome>

export const AuditActor = z
  .object({
    kind: z.enum(['user', 'machine', 'connector', 'anonymous']),
    id: Id.optional(),
    name: z
      .string()
      .max(AUDIT_TEXT_LIMITS.actorName)
      .optional()
      .describe('For anonymous: the name a failed login tried'),
  })
  .meta({ id: 'AuditActor' })
export type AuditActor = z.infer<typeof AuditActor>

export const AuditTarget = z
  .object({
    kind: z
      .string()
      .max(AUDIT_TEXT_LIMITS.targetKind)
      .describe('user, group, grant, access-key, provider, destination, pod, …'),
    id: z.string().max(AUDIT_TEXT_LIMITS.targetId).optional(),
    name: z.string().max(AUDIT_TEXT_LIMITS.targetName).optional(),
  })
  .meta({ id: 'AuditTarget' })
export type AuditTarget = z.infer<typeof AuditTarget>

/** Details no reader depends on yet: the recording code may add what helps a reader of the event. */
const OpenDetails = z.looseObject({})

const GrantDetails = z.looseObject({
  user: Id.optional(),
  group: Id.optional(),
  privilege: z.string(),
  resource: z.string(),
})

const SessionDetails = z.object({
  kind: z.enum(['exec', 'attach', 'port-forward']),
  namespace: text(253),
  pod: text(253),
  container: text(253).optional(),
})

/** The query a read or an export of the log asked for (itself audited). */
const AuditReadDetails = z.looseObject({
  query: z.record(z.string(), z.union([z.string(), z.array(z.string()), z.boolean(), z.number()])),
})

/** What `details` holds, per event type. */
export const AUDIT_DETAILS = {
  login: z.looseObject({
    method: z.string().describe('password, key, provider, or the name of a later method'),
    provider: z.string().optional().describe('The identity provider, for provider logins'),
  }),
  logout: OpenDetails,
  'login.locked-out': OpenDetails,
  'password.changed': OpenDetails,
  'access-key.created': OpenDetails,
  'access-key.revoked': OpenDetails,
  'access-key.expired': OpenDetails,
  'user.created': OpenDetails,
  'user.updated': OpenDetails,
  'user.removed': OpenDetails,
  'group.created': OpenDetails,
  'group.removed': OpenDetails,
  'group.members-changed': z.looseObject({ added: z.array(Id), removed: z.array(Id) }),
  'provider.created': OpenDetails,
  'provider.updated': OpenDetails,
  'provider.removed': OpenDetails,
  'destination.created': OpenDetails,
  'destination.updated': OpenDetails,
  'destination.removed': OpenDetails,
  'grant.created': GrantDetails,
  'grant.removed': GrantDetails,
  'grant.expired': GrantDetails,
  'token.issued': z.looseObject({ expiresAt: Timestamp }),
  'audit.read': AuditReadDetails,
  'audit.exported': AuditReadDetails,
  'kube.request': z.object({
    verb: text(64),
    apiGroup: text(253).describe("'' for the core group"),
    apiVersion: text(64).optional(),
    resource: text(253).optional(),
    subresource: text(253).optional(),
    namespace: text(253).optional(),
    name: text(253).optional(),
    requestUri: text(8192).describe('Path and query, with any secret-looking query values removed'),
    status: z.number().int(),
    durationMs: z.number().nonnegative(),
    bytes: z.number().int().nonnegative().describe('Response bytes'),
    decidedBy: z.enum(['proxy', 'api-server']),
    groups: z.array(text(256)).max(1000),
    statusReason: text(1024)
      .optional()
      .describe("The proxy's refusal message, or the Kubernetes Status reason"),
  }),
  'kube.session.started': SessionDetails,
  'kube.session.ended': SessionDetails.extend({
    session: AuditEventId.describe('The ID of the kube.session.started event'),
    status: z.number().int().optional(),
    durationMs: z.number().nonnegative().optional(),
  }),
  'kube.discovery': z.object({
    count: z.number().int().positive(),
    since: Timestamp,
    until: Timestamp,
  }),
} as const satisfies Record<AuditEventType, z.ZodObject>

export type AuditDetails = { [T in AuditEventType]: z.output<(typeof AUDIT_DETAILS)[T]> }

/** Every field but time, destination, type and details: what a connector sends besides type and details. */
const ingestedFields = {
  id: AuditEventId,
  occurredAt: Timestamp.describe(
    "When it happened, by the clock of who saw it (a connector's for kube events)",
  ),
  outcome: AuditOutcome,
  reason: text(AUDIT_TEXT_LIMITS.reason).optional().describe('Why a failure failed'),
  actor: AuditActor,
  sourceIp: text(AUDIT_TEXT_LIMITS.sourceIp).optional(),
  userAgent: text(AUDIT_TEXT_LIMITS.userAgent).optional(),
  target: AuditTarget.optional(),
}

const eventFields = {
  ...ingestedFields,
  time: Timestamp.describe('When the server stored it'),
  destination: text(AUDIT_TEXT_LIMITS.destination).optional().describe('The destination name'),
}

type Variant<S extends z.ZodRawShape, T extends AuditEventType> = z.ZodObject<
  S & { type: z.ZodLiteral<T>; details: (typeof AUDIT_DETAILS)[T] }
>
type Variants<S extends z.ZodRawShape, Types extends AuditEventType> = {
  [T in Types]: Variant<S, T>
}[Types]

/** One object schema per event type, discriminated on `type`. */
function eventUnion<S extends z.ZodRawShape, const Types extends readonly AuditEventType[]>(
  shape: S,
  types: Types,
) {
  const variants = types.map((type) =>
    z.object({ ...shape, type: z.literal(type), details: AUDIT_DETAILS[type] }),
  ) as unknown as [Variants<S, Types[number]>, ...Variants<S, Types[number]>[]]
  return z.discriminatedUnion('type', variants)
}

export const AuditEvent = eventUnion(eventFields, AUDIT_EVENT_TYPES).meta({ id: 'AuditEvent' })
export type AuditEvent = z.infer<typeof AuditEvent>
export type AuditEventOf<T extends AuditEventType> = Extract<AuditEvent, { type: T }>

/** A connector's event: the server sets `time` on storing it and `destination` from the batch. */
export const IngestedAuditEvent = eventUnion(ingestedFields, KUBE_AUDIT_EVENT_TYPES).meta({
  id: 'IngestedAuditEvent',
})
export type IngestedAuditEvent = z.infer<typeof IngestedAuditEvent>

export const MAX_INGEST_BATCH = 1000

export const IngestAuditEventsRequest = z.object({
  destination: DestinationName.describe("The connector's destination name"),
  events: z.array(IngestedAuditEvent).min(1).max(MAX_INGEST_BATCH),
})
export type IngestAuditEventsRequest = z.input<typeof IngestAuditEventsRequest>

export const IngestAuditEventsResponse = z.object({
  accepted: z.number().int(),
  duplicates: z.number().int().describe('Events already stored under the same ID, not stored again'),
})

/** An instant, or a duration back from now (`1h`, `30d`). */
export const AuditTimeBound = z
  .union([Timestamp, Duration])
  .meta({ description: 'An RFC 3339 date-time, or a duration before now such as 1h or 30d' })

const queryList = <T extends z.ZodType>(item: T) =>
  z.union([item, z.array(item).max(100)]).transform((value) => (Array.isArray(value) ? value : [value]))

/** What both the list and the stream filter by. */
const AuditFilters = z.object({
  since: AuditTimeBound.optional(),
  until: AuditTimeBound.optional(),
  user: z.string().max(256).optional().describe("The actor's user name or ID"),
  destination: z.string().max(253).optional(),
  type: queryList(AuditEventType).optional(),
  outcome: AuditOutcome.optional(),
  after: AuditEventId.optional().describe('Start after this event (the `next` of the previous page)'),
})

export const ListAuditEventsQuery = AuditFilters.extend({
  limit: queryInt({ min: 1, max: MAX_PAGE_LIMIT }).optional().default(DEFAULT_PAGE_LIMIT),
  order: z
    .enum(['oldest', 'newest'])
    .optional()
    .default('oldest')
    .describe('Which end to start from; `after` then continues in that order'),
})
export type ListAuditEventsQuery = z.input<typeof ListAuditEventsQuery>

export const AuditEventPage = z.object({
  items: z.array(AuditEvent).describe('Oldest first, or newest first with order=newest'),
  next: AuditEventId.nullable().describe('Pass as `after` for the next page; null on the last page'),
})
export type AuditEventPage = z.infer<typeof AuditEventPage>

export const StreamAuditEventsQuery = AuditFilters.extend({
  follow: queryBoolean
    .optional()
    .describe('Hold the connection open for new events (until the server ends it; resume from the last ID)'),
})
export type StreamAuditEventsQuery = z.input<typeof StreamAuditEventsQuery>

export const AuditHead = z.object({
  id: AuditEventId.nullable().describe('The last sealed event; null while the log is empty'),
  hash: z.string().nullable().describe('Its chain hash (hex HMAC-SHA256), to anchor elsewhere'),
  count: z.number().int().describe('Events in the chain since retention last cut it'),
})
export type AuditHead = z.infer<typeof AuditHead>

export const AuditVerifyResult = z.object({
  ok: z.boolean(),
  checked: z.number().int(),
  firstBad: z.object({ id: AuditEventId, problem: z.enum(['edited', 'deleted', 'reordered']) }).optional(),
})
export type AuditVerifyResult = z.infer<typeof AuditVerifyResult>
