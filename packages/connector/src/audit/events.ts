import { AUDIT_DETAILS, type AuditDetails, type IngestedAuditEvent } from '@infra/api-types'
import { v7 as uuidv7 } from 'uuid'
import type { TokenIdentity } from '../auth/tokens.js'
import { describeRequest, recordedRequestUri, type KubeRequestInfo } from './kube-request.js'

/** An event as the connector sends it to the server (which sets `time` and `destination`). */
export type ConnectorAuditEvent = IngestedAuditEvent
type RequestEvent = Extract<ConnectorAuditEvent, { type: 'kube.request' }>
type SessionEvent = Extract<ConnectorAuditEvent, { type: 'kube.session.started' | 'kube.session.ended' }>

export type SessionKind = 'exec' | 'attach' | 'port-forward'
const SESSION_SUBRESOURCES: Record<string, SessionKind> = {
  exec: 'exec',
  attach: 'attach',
  portforward: 'port-forward',
}

/** Longest texts the schema takes: the API server's messages are short; a pathological one is cut. */
const MAX_REASON = 1024
const MAX_USER_AGENT = 1024
const REQUEST_FIELDS = AUDIT_DETAILS['kube.request'].shape
const TEXT_FIELDS = [
  'verb',
  'apiGroup',
  'apiVersion',
  'resource',
  'subresource',
  'namespace',
  'name',
] as const

/** The longest text the schema takes for each of a request's own words (read once: zod computes it). */
const MAX_WORD = new Map<string, number>(
  TEXT_FIELDS.map((field) => {
    const schema = REQUEST_FIELDS[field]
    return [field, ('unwrap' in schema ? schema.unwrap() : schema).maxLength ?? Infinity]
  }),
)
const MAX_GROUP = REQUEST_FIELDS.groups.element.maxLength ?? Infinity
const MAX_REQUEST_URI = REQUEST_FIELDS.requestUri.maxLength ?? Infinity

/**
 * A request's own words into its details, cut to what the schema takes for them: a request naming a longer
 * resource (which the API server refuses anyway) is still recorded, not rejected with its whole batch. (Assigned
 * one by one: object spreads cost more than the rest of the event on the proxy's hot path.)
 */
function copyWords(info: KubeRequestInfo, details: Record<string, unknown>): void {
  for (const field of TEXT_FIELDS) {
    const value = info[field]
    if (value !== undefined) details[field] = value.slice(0, MAX_WORD.get(field))
  }
}

/** A new event id: a UUIDv7 (time-ordered), also sent to the API server as the request's `Audit-ID`. */
export function newEventId(): string {
  return uuidv7()
}

/** Who decided a request's answer, and why when it was refused. */
export type Decision =
  { by: 'proxy'; reason?: string } | { by: 'api-server'; statusReason?: string; message?: string }

/** One request through the proxy, from its arrival to its answer: what the audit event is made of. */
export class AuditedRequest {
  readonly id = newEventId()
  readonly info: KubeRequestInfo
  private readonly startedAt = Date.now()
  private readonly started = performance.now()

  constructor(
    readonly method: string,
    readonly url: string,
    private readonly sourceIp: string | undefined,
    private readonly userAgent: string | undefined,
  ) {
    this.info = describeRequest(method, url)
  }

  /** The exec, attach or port-forward session this request opens, if it is one. */
  get session(): SessionKind | undefined {
    if (this.info.resource !== 'pods' || this.info.subresource === undefined) return undefined
    return SESSION_SUBRESOURCES[this.info.subresource]
  }

  get durationMs(): number {
    return Math.round((performance.now() - this.started) * 10) / 10
  }

  /** The `kube.request` event of the finished request. */
  requestEvent(
    identity: TokenIdentity | undefined,
    answer: { status: number; bytes: number; decision: Decision },
  ): RequestEvent {
    const { decision } = answer
    const failed = answer.status >= 400
    const statusReason = decision.by === 'proxy' ? decision.reason : decision.statusReason
    const reason = decision.by === 'proxy' ? decision.reason : (decision.message ?? decision.statusReason)
    const details = {
      requestUri: recordedRequestUri(this.url).slice(0, MAX_REQUEST_URI),
      status: answer.status,
      durationMs: this.durationMs,
      bytes: answer.bytes,
      decidedBy: decision.by,
      // The server's own group names fit; this guards the batch.
      groups: (identity?.groups ?? []).map((group) => group.slice(0, MAX_GROUP)),
    } as AuditDetails['kube.request']
    copyWords(this.info, details)
    if (statusReason !== undefined) details.statusReason = statusReason.slice(0, MAX_REASON)
    const event = this.event<RequestEvent>(identity, 'kube.request', failed ? 'failure' : 'success', details)
    if (failed && reason !== undefined) event.reason = reason.slice(0, MAX_REASON)
    return event
  }

  /** `kube.session.started`: the API server switched protocols; the event's id is the request's Audit-ID. */
  sessionStarted(identity: TokenIdentity, kind: SessionKind): SessionEvent {
    return this.event(identity, 'kube.session.started', 'success', this.sessionDetails(kind))
  }

  /** `kube.session.ended`, pointing at its `started` event. */
  sessionEnded(identity: TokenIdentity, kind: SessionKind, status: number): SessionEvent {
    const event = this.event<SessionEvent>(identity, 'kube.session.ended', 'success', {
      ...this.sessionDetails(kind),
      status,
      durationMs: this.durationMs,
      session: this.id,
    })
    event.id = newEventId()
    event.occurredAt = new Date().toISOString()
    return event
  }

  private sessionDetails(kind: SessionKind): AuditDetails['kube.session.started'] {
    const container = new URLSearchParams(this.url.split('?', 2)[1] ?? '').get('container')
    return {
      kind,
      namespace: this.info.namespace ?? '',
      pod: this.info.name ?? '',
      ...(container ? { container } : {}),
    }
  }

  /** An event of this request: its id, time, actor and client, and what `type` says of it. */
  private event<E extends ConnectorAuditEvent>(
    identity: TokenIdentity | undefined,
    type: E['type'],
    outcome: E['outcome'],
    details: E['details'],
  ): E {
    const event = {
      id: this.id,
      occurredAt: new Date(this.startedAt).toISOString(),
      type,
      outcome,
      actor: identity ? { kind: 'user', name: identity.name } : { kind: 'anonymous' },
      details,
    } as E
    if (this.sourceIp !== undefined) event.sourceIp = this.sourceIp
    if (this.userAgent !== undefined) event.userAgent = this.userAgent.slice(0, MAX_USER_AGENT)
    return event
  }
}
