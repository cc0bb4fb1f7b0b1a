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
type TextField = 'verb' | 'apiGroup' | 'apiVersion' | 'resource' | 'subresource' | 'namespace' | 'name'

/**
 * A request's own words cut to what the schema takes for them: a request naming a longer resource (which the
 * API server refuses anyway) is still recorded, not rejected by the server with its whole batch.
 */
function fitted(info: Omit<KubeRequestInfo, 'discovery'>): Omit<KubeRequestInfo, 'discovery'> {
  const fitted: Record<string, string> = {}
  for (const [field, value] of Object.entries(info) as Array<[TextField, string]>) {
    const schema = REQUEST_FIELDS[field]
    const max = ('unwrap' in schema ? schema.unwrap() : schema).maxLength ?? value.length
    fitted[field] = value.slice(0, max)
  }
  return fitted as unknown as Omit<KubeRequestInfo, 'discovery'>
}

/** The token's group names cut likewise (the server's own names fit; this guards the batch). */
function fittedGroups(groups: readonly string[]): string[] {
  const max = REQUEST_FIELDS.groups.element.maxLength ?? Infinity
  return groups.map((group) => group.slice(0, max))
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
    const { discovery: _discovery, ...info } = this.info
    const details: AuditDetails['kube.request'] = {
      ...fitted(info),
      requestUri: recordedRequestUri(this.url).slice(0, REQUEST_FIELDS.requestUri.maxLength ?? undefined),
      status: answer.status,
      durationMs: this.durationMs,
      bytes: answer.bytes,
      decidedBy: decision.by,
      groups: fittedGroups(identity?.groups ?? []),
      ...(statusReason !== undefined ? { statusReason: statusReason.slice(0, MAX_REASON) } : {}),
    }
    return {
      ...this.common(identity),
      type: 'kube.request',
      outcome: failed ? 'failure' : 'success',
      ...(failed && reason !== undefined ? { reason: reason.slice(0, MAX_REASON) } : {}),
      details,
    }
  }

  /** `kube.session.started`: the API server switched protocols; the event's id is the request's Audit-ID. */
  sessionStarted(identity: TokenIdentity, kind: SessionKind): SessionEvent {
    return {
      ...this.common(identity),
      type: 'kube.session.started',
      outcome: 'success',
      details: this.sessionDetails(kind),
    }
  }

  /** `kube.session.ended`, pointing at its `started` event. */
  sessionEnded(identity: TokenIdentity, kind: SessionKind, status: number): SessionEvent {
    return {
      ...this.common(identity),
      id: newEventId(),
      occurredAt: new Date().toISOString(),
      type: 'kube.session.ended',
      outcome: 'success',
      details: { ...this.sessionDetails(kind), status, durationMs: this.durationMs, session: this.id },
    }
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

  /** What every event of this request says: its id, time, actor and client. */
  private common(identity: TokenIdentity | undefined) {
    return {
      id: this.id,
      occurredAt: new Date(this.startedAt).toISOString(),
      actor: identity ? { kind: 'user' as const, name: identity.name } : { kind: 'anonymous' as const },
      ...(this.sourceIp !== undefined ? { sourceIp: this.sourceIp } : {}),
      ...(this.userAgent !== undefined ? { userAgent: this.userAgent.slice(0, MAX_USER_AGENT) } : {}),
    }
  }
}
