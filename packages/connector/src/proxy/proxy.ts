import type { IncomingMessage, ServerResponse } from 'node:http'
import { STATUS_CODES } from 'node:http'
import https from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { isReservedName } from '@infra/api-types'
import { AuditedRequest, type ConnectorAuditEvent, type Decision, type SessionKind } from '../audit/events.js'
import type { AuditShipper } from '../audit/shipper.js'
import { StatusReader } from '../audit/status-reader.js'
import type { AccessList } from '../auth/access.js'
import { TokenError, type TokenIdentity, type TokenVerifier } from '../auth/tokens.js'
import type { KubeConnection } from '../kube/connection.js'
import { checkPath, checkRequestHeaders, headerValue, responseHeaders } from './headers.js'
import { Forwarding } from './forward.js'

export interface ProxyOptions {
  kube: KubeConnection
  verifier: TokenVerifier
  /** The current access list; undefined until the grants have been loaded. */
  access: () => AccessList | undefined
  logger: Logger
  certificate: { certificate: string; key: string }
  /** Largest request header block accepted (bytes). Default 32 KiB. */
  maxHeaderSize?: number
  /** Where the audit events of requests and sessions go; without it they are only logged. */
  audit?: Pick<AuditShipper, 'record' | 'countDiscovery' | 'accepting'>
}

/** How a request was answered, for its audit event and log line. */
interface Answer {
  status: number
  bytes: number
  decision: Decision
  /** Log-only facts: the client went away, the upstream failed. */
  note?: Record<string, unknown>
}

interface Tracked {
  identity: TokenIdentity
  close(): void
}

type Failure = { status: number; reason: string; message: string }
type Refusal = { ok: false; failure: Failure; identity?: TokenIdentity }

/** A Kubernetes `Status` body, which kubectl shows as the error. */
function statusBody(failure: Failure): string {
  return JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: failure.message,
    reason: failure.reason,
    code: failure.status,
  })
}

const failures = {
  badRequest: (message: string): Failure => ({ status: 400, reason: 'BadRequest', message }),
  unauthorized: (message: string): Failure => ({ status: 401, reason: 'Unauthorized', message }),
  forbidden: (message: string): Failure => ({ status: 403, reason: 'Forbidden', message }),
  unavailable: (message: string): Failure => ({ status: 503, reason: 'ServiceUnavailable', message }),
  notRecordable: (): Failure => ({
    status: 503,
    reason: 'ServiceUnavailable',
    message: 'the connector cannot record audit events now (it fails closed); try again',
  }),
  unreachable: (error: Error): Failure => ({
    status: 502,
    reason: 'InternalError',
    message: `cannot reach the Kubernetes API server: ${error.message}`,
  }),
}

/** Answers with the failure as a `Status`; `close` ends the connection after it. */
function sendFailure(response: ServerResponse, failure: Failure, close = false): void {
  const body = statusBody(failure)
  response.writeHead(failure.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...(close ? { connection: 'close' } : {}),
  })
  response.end(body)
}

/** The same on a connection that asked to upgrade, which has no response object: written as is, then closed. */
function endWithFailure(socket: Duplex, failure: Failure): void {
  const body = statusBody(failure)
  socket.end(
    `HTTP/1.1 ${failure.status} ${STATUS_CODES[failure.status]}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n` +
      body,
  )
}

/**
 * The HTTPS endpoint kubectl talks to. It authenticates each request by its Infra JWT, refuses users
 * without a grant on the destination, and forwards to the API server with the connector's credentials and
 * impersonation headers for the token's user and groups, streaming bodies (and upgraded connections) both
 * ways without buffering or rewriting them.
 */
export class KubeProxy {
  readonly server: https.Server
  private readonly tracked = new Set<Tracked>()
  /** Client addresses, kept because a finished request no longer has its socket. */
  private readonly remotes = new WeakMap<IncomingMessage, string | undefined>()
  private readonly sockets = new Set<Socket | Duplex>()
  private closing = false

  constructor(private readonly options: ProxyOptions) {
    this.server = https.createServer({
      cert: options.certificate.certificate,
      key: options.certificate.key,
      maxHeaderSize: options.maxHeaderSize ?? 32 * 1024,
      // Uploads and watches may take long; slow header delivery may not.
      requestTimeout: 0,
      headersTimeout: 30_000,
      keepAliveTimeout: 65_000,
      noDelay: true,
      ALPNProtocols: ['http/1.1'],
    })
    this.server.on(
      'request',
      (request: IncomingMessage, response: ServerResponse) => void this.handle(request, response),
    )
    this.server.on(
      'upgrade',
      (request: IncomingMessage, socket: Duplex, head: Buffer) =>
        void this.handleUpgrade(request, socket, head),
    )
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket)
      socket.once('close', () => this.sockets.delete(socket))
    })
    this.server.on('tlsClientError', (error) => options.logger.debug({ err: error }, 'TLS handshake failed'))
    this.server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => {
      if (!socket.writable) return socket.destroy()
      const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
      )
    })
  }

  listen(port: number, host?: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, host || undefined, () => {
        this.server.off('error', reject)
        resolve(this.server.address() as AddressInfo)
      })
    })
  }

  setCertificate(certificate: { certificate: string; key: string }): void {
    this.server.setSecureContext({ cert: certificate.certificate, key: certificate.key })
  }

  /** Number of proxied requests and upgraded connections open now. */
  get openStreams(): number {
    return this.tracked.size
  }

  /** Closes every open request or stream whose user no longer holds a grant. */
  enforceAccess(): number {
    const access = this.options.access()
    let closed = 0
    for (const entry of this.tracked) {
      if (!access || !access.allows(entry.identity.name, entry.identity.groups)) {
        entry.close()
        this.tracked.delete(entry)
        closed++
      }
    }
    if (closed > 0)
      this.options.logger.info({ closed }, 'closed the open streams of users whose access was revoked')
    return closed
  }

  /** Stops accepting connections, lets requests in flight finish for up to `graceMs`, then cuts the rest. */
  async close(graceMs = 10_000): Promise<void> {
    this.closing = true
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    this.server.closeIdleConnections()
    const deadline = Date.now() + graceMs
    while (this.tracked.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      this.server.closeIdleConnections()
    }
    for (const entry of this.tracked) entry.close()
    this.tracked.clear()
    for (const socket of this.sockets) socket.destroy()
    await closed
  }

  /** Authenticates and authorizes a request; returns the forwarding headers or a failure. */
  private async admit(
    request: IncomingMessage,
    isUpgrade: boolean,
  ): Promise<{ ok: true; identity: TokenIdentity; headers: string[] } | Refusal> {
    const pathProblem = checkPath(request.url ?? '')
    if (pathProblem) return { ok: false, failure: failures.badRequest(pathProblem) }
    const check = checkRequestHeaders(request.rawHeaders, isUpgrade)
    if (!check.ok) {
      return {
        ok: false,
        failure:
          check.status === 400 ? failures.badRequest(check.message) : failures.unauthorized(check.message),
      }
    }
    let identity: TokenIdentity
    try {
      identity = await this.options.verifier.verify(check.token)
    } catch (error) {
      const message = error instanceof TokenError ? error.message : 'token could not be verified'
      return { ok: false, failure: failures.unauthorized(`Unauthorized: ${message}`) }
    }
    if (isReservedName(identity.name)) {
      return {
        ok: false,
        failure: failures.forbidden(`the user name "${identity.name}" is reserved`),
        identity,
      }
    }
    const access = this.options.access()
    if (!access) {
      return { ok: false, failure: failures.unavailable('the connector is starting; try again'), identity }
    }
    if (!access.allows(identity.name, identity.groups)) {
      return {
        ok: false,
        failure: failures.forbidden(`${identity.name} has no grant on this destination`),
        identity,
      }
    }
    if (this.options.audit && !this.options.audit.accepting) {
      return { ok: false, failure: failures.notRecordable(), identity }
    }
    const headers = [...check.headers, 'Impersonate-User', headerValue(identity.name)]
    for (const group of access.impersonatedGroups(identity.name, identity.groups))
      headers.push('Impersonate-Group', headerValue(group))
    return { ok: true, identity, headers }
  }

  /** Logs the answered request, and records its event (discovery requests are only counted). */
  private audit(
    request: IncomingMessage,
    audited: AuditedRequest,
    identity: TokenIdentity | undefined,
    answer: Answer,
  ): void {
    const { decision } = answer
    const reason = decision.by === 'proxy' ? decision.reason : decision.statusReason
    this.options.logger.info(
      {
        audit: true,
        id: audited.id,
        user: identity?.name,
        groups: identity?.groups,
        verb: audited.info.verb,
        method: audited.method,
        path: audited.url.split('?', 1)[0],
        status: answer.status,
        durationMs: audited.durationMs,
        remote: this.remotes.get(request) ?? request.socket?.remoteAddress,
        decidedBy: decision.by,
        ...(reason !== undefined ? { reason } : {}),
        ...answer.note,
      },
      'proxied request',
    )
    const sink = this.options.audit
    if (!sink) return
    if (audited.info.discovery && identity && decision.by === 'api-server') sink.countDiscovery(identity.name)
    else sink.record(audited.requestEvent(identity, answer))
  }

  /** A request as the audit log sees it, from its arrival. */
  private audited(request: IncomingMessage): AuditedRequest {
    const remote = request.socket.remoteAddress
    this.remotes.set(request, remote)
    return new AuditedRequest(
      request.method ?? 'GET',
      request.url ?? '',
      remote,
      request.headers['user-agent'],
    )
  }

  private track(identity: TokenIdentity, close: () => void): Tracked {
    const entry: Tracked = { identity, close }
    this.tracked.add(entry)
    return entry
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const audited = this.audited(request)
    const admitted = await this.admit(request, false)
    if (!admitted.ok) {
      const { failure } = admitted
      sendFailure(response, failure, this.closing)
      request.resume()
      this.audit(request, audited, admitted.identity, {
        status: failure.status,
        bytes: 0,
        decision: { by: 'proxy', reason: failure.message },
      })
      return
    }
    const { identity, headers } = admitted

    const kube = this.options.kube
    // undici takes the flat list as is: a repeated name (Impersonate-Group) is sent as repeated lines.
    const forwarded: string[] = []
    let hasBody = false
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i] ?? ''
      const lower = name.toLowerCase()
      // The Node server has answered any 100-continue itself; undici refuses to send Expect.
      if (lower === 'expect') continue
      if (lower === 'content-length') hasBody = headers[i + 1] !== '0'
      forwarded.push(name, headers[i + 1] ?? '')
    }
    if (request.headers['transfer-encoding'] !== undefined) hasBody = true
    if (kube.authorization) forwarded.push('Authorization', kube.authorization)
    forwarded.push('Audit-ID', audited.id)

    let finished = false
    const done = (status: number, note?: Record<string, unknown>) => {
      if (finished) return
      finished = true
      this.tracked.delete(entry)
      const { reason, message } = forwarding.apiStatus()
      this.audit(request, audited, identity, {
        status,
        bytes: forwarding.bytes,
        decision: {
          by: 'api-server',
          ...(reason !== undefined ? { statusReason: reason } : {}),
          ...(message !== undefined ? { message } : {}),
        },
        ...(note ? { note } : {}),
      })
    }
    const forwarding = new Forwarding(response, (error) => {
      if (response.destroyed) return done(response.statusCode || 499, { aborted: true })
      const failure = failures.unreachable(error)
      sendFailure(response, failure)
      finished = true
      this.tracked.delete(entry)
      this.audit(request, audited, identity, {
        status: failure.status,
        bytes: 0,
        decision: { by: 'proxy', reason: failure.message },
      })
    })
    const entry = this.track(identity, () => {
      forwarding.cancel(new Error('access revoked'))
      response.destroy()
    })
    response.on('finish', () => done(response.statusCode))
    response.on('close', () => {
      if (!response.writableFinished) {
        forwarding.cancel(new Error('the client went away'))
        done(response.statusCode, { aborted: true })
      }
    })
    kube.pool.dispatch(
      {
        method: request.method ?? 'GET',
        path: kube.path(request.url ?? '/'),
        headers: forwarded,
        body: hasBody ? request : null,
      },
      forwarding,
    )
  }

  private async handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const audited = this.audited(request)
    socket.on('error', () => socket.destroy())
    const admitted = await this.admit(request, true)
    if (!admitted.ok) {
      const { failure } = admitted
      endWithFailure(socket, failure)
      this.audit(request, audited, admitted.identity, {
        status: failure.status,
        bytes: 0,
        decision: { by: 'proxy', reason: failure.message },
        note: { upgrade: true },
      })
      return
    }
    const { identity, headers } = admitted
    const upstream = this.options.kube.rawRequest(request.method ?? 'GET', request.url ?? '/', {})
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i] ?? ''
      const value = headers[i + 1] ?? ''
      const previous = upstream.getHeader(name)
      if (previous === undefined) upstream.setHeader(name, value)
      else upstream.setHeader(name, [...(Array.isArray(previous) ? previous : [String(previous)]), value])
    }
    if (this.options.kube.authorization) upstream.setHeader('Authorization', this.options.kube.authorization)
    upstream.setHeader('Audit-ID', audited.id)

    let upstreamSocket: Duplex | undefined
    let status = 0
    /** The exec, attach or port-forward session that started: its end is recorded instead of a request. */
    let session: SessionKind | undefined
    let bytes = 0
    let apiStatus: StatusReader | undefined
    let proxyFailure: Failure | undefined
    let logged = false
    const entry = this.track(identity, () => {
      upstream.destroy()
      upstreamSocket?.destroy()
      socket.destroy()
    })
    const finish = (note?: Record<string, unknown>) => {
      this.tracked.delete(entry)
      if (logged) return
      logged = true
      if (session) {
        this.recordSession(audited.sessionEnded(identity, session, status))
        return
      }
      const { reason, message } = apiStatus?.status() ?? {}
      this.audit(request, audited, identity, {
        status: status || 502,
        bytes,
        decision: proxyFailure
          ? { by: 'proxy', reason: proxyFailure.message }
          : {
              by: 'api-server',
              ...(reason !== undefined ? { statusReason: reason } : {}),
              ...(message !== undefined ? { message } : {}),
            },
        note: { upgrade: true, ...note },
      })
    }
    socket.once('close', () => {
      upstream.destroy()
      upstreamSocket?.destroy()
      finish()
    })

    upstream.on('upgrade', (incoming, upSocket: Duplex, upHead: Buffer) => {
      status = incoming.statusCode ?? 101
      upstreamSocket = upSocket
      session = audited.session
      if (session) this.recordSession(audited.sessionStarted(identity, session))
      const lines = [`HTTP/1.1 ${status} ${incoming.statusMessage ?? 'Switching Protocols'}`]
      const kept = responseHeaders(incoming.rawHeaders, new Set(['connection', 'upgrade']))
      for (let i = 0; i < kept.length; i += 2) lines.push(`${kept[i]}: ${kept[i + 1]}`)
      socket.write(lines.join('\r\n') + '\r\n\r\n')
      if (upHead.length > 0) socket.write(upHead)
      if (head.length > 0) upSocket.write(head)
      upSocket.on('error', () => socket.destroy())
      upSocket.on('close', () => socket.destroy())
      upSocket.pipe(socket)
      socket.pipe(upSocket)
    })
    upstream.on('response', (incoming) => {
      // The API server answered without switching protocols (e.g. 403, or no node to run the exec).
      status = incoming.statusCode ?? 502
      apiStatus = StatusReader.of(status, incoming.headers['content-type'])
      const lines = [`HTTP/1.1 ${status} ${incoming.statusMessage ?? STATUS_CODES[status] ?? ''}`]
      const kept = responseHeaders(incoming.rawHeaders)
      for (let i = 0; i < kept.length; i += 2) {
        if (kept[i]?.toLowerCase() !== 'content-length') lines.push(`${kept[i]}: ${kept[i + 1]}`)
      }
      lines.push('Connection: close')
      socket.write(lines.join('\r\n') + '\r\n\r\n')
      incoming.on('data', (chunk: Buffer) => {
        bytes += chunk.length
        apiStatus?.observe(chunk)
      })
      incoming.pipe(socket)
      incoming.on('error', () => socket.destroy())
    })
    upstream.on('error', (error) => {
      if (status === 0) {
        status = 502
        proxyFailure = failures.unreachable(error)
        endWithFailure(socket, proxyFailure)
      } else {
        socket.destroy()
      }
      finish({ error: error.message })
    })
    upstream.end()
  }

  /** Records a session's start or end (logged like a request, with the session's facts). */
  private recordSession(event: ConnectorAuditEvent): void {
    this.options.logger.info(
      { audit: true, id: event.id, user: event.actor.name, type: event.type, ...event.details },
      event.type === 'kube.session.started' ? 'session started' : 'session ended',
    )
    this.options.audit?.record(event)
  }
}
