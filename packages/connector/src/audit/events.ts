import { v7 as uuidv7 } from 'uuid'
import type { TokenIdentity } from '../auth/tokens.js'
import { describeRequest, recordedRequestUri, type KubeRequestInfo } from './kube-request.js'

/** An event as the connector sends it to the server (which sets `time` and `destination`). */
export interface ConnectorAuditEvent {
  id: string
  occurredAt: string
  type: 'kube.request' | 'kube.session.started' | 'kube.session.ended' | 'kube.discovery'
  outcome: 'success' | 'failure'
  reason?: string
  actor: { kind: 'user' | 'anonymous'; name?: string }
  sourceIp?: string
  userAgent?: string
  details: Record<string, unknown>
}

export type SessionKind = 'exec' | 'attach' | 'port-forward'
const SESSION_SUBRESOURCES: Record<string, SessionKind> = {
  exec: 'exec',
  attach: 'attach',
  portforward: 'port-forward',
}

/** Longest `reason` recorded: the API server's messages are short; a pathological one is cut. */
const MAX_REASON = 1000

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
  ): ConnectorAuditEvent {
    const { decision } = answer
    const failed = answer.status >= 400
    const statusReason = decision.by === 'proxy' ? decision.reason : decision.statusReason
    const reason = decision.by === 'proxy' ? decision.reason : (decision.message ?? decision.statusReason)
    const { discovery: _discovery, ...info } = this.info
    return this.event('kube.request', identity, {
      outcome: failed ? 'failure' : 'success',
      ...(failed && reason !== undefined ? { reason: reason.slice(0, MAX_REASON) } : {}),
      details: {
        ...info,
        requestUri: recordedRequestUri(this.url),
        status: answer.status,
        durationMs: this.durationMs,
        bytes: answer.bytes,
        decidedBy: decision.by,
        groups: identity?.groups ?? [],
        ...(statusReason !== undefined ? { statusReason: statusReason.slice(0, MAX_REASON) } : {}),
      },
    })
  }

  /** `kube.session.started`: the API server switched protocols; the event's id is the request's Audit-ID. */
  sessionStarted(identity: TokenIdentity, kind: SessionKind, status: number): ConnectorAuditEvent {
    return this.event('kube.session.started', identity, {
      outcome: 'success',
      details: { ...this.sessionDetails(kind), status },
    })
  }

  /** `kube.session.ended`, pointing at its `started` event. */
  sessionEnded(identity: TokenIdentity, kind: SessionKind, status: number): ConnectorAuditEvent {
    return {
      ...this.event('kube.session.ended', identity, {
        outcome: 'success',
        details: { ...this.sessionDetails(kind), status, durationMs: this.durationMs, session: this.id },
      }),
      id: newEventId(),
      occurredAt: new Date().toISOString(),
    }
  }

  private sessionDetails(kind: SessionKind): Record<string, unknown> {
    const container = new URLSearchParams(this.url.split('?', 2)[1] ?? '').get('container')
    return {
      kind,
      namespace: this.info.namespace ?? '',
      pod: this.info.name ?? '',
      ...(container ? { container } : {}),
    }
  }

  private event(
    type: ConnectorAuditEvent['type'],
    identity: TokenIdentity | undefined,
    rest: Pick<ConnectorAuditEvent, 'outcome' | 'details'> & { reason?: string },
  ): ConnectorAuditEvent {
    return {
      id: this.id,
      occurredAt: new Date(this.startedAt).toISOString(),
      type,
      actor: identity ? { kind: 'user', name: identity.name } : { kind: 'anonymous' },
      ...(this.sourceIp !== undefined ? { sourceIp: this.sourceIp } : {}),
      ...(this.userAgent !== undefined ? { userAgent: this.userAgent } : {}),
      ...rest,
    }
  }
}
