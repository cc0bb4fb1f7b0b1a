// The proxy's audit events against a recording upstream: one kube.request per request with who decided it,
// the event id as the Audit-ID the API server receives (never the client's), exec sessions as start and end
// (over a real SPDY-style upgrade), discovery only counted, and refusals while failing closed.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { IngestedAuditEvent } from '@infra/api-types'
import https from 'node:https'
import type { ConnectorAuditEvent } from '../src/audit/events.js'
import { eventually } from './env.js'
import {
  connectTls,
  headerValues,
  rawRequest,
  signToken,
  startProxyFixture,
  type ProxyFixture,
} from './fake-upstream.js'

const recorded: ConnectorAuditEvent[] = []
const discovery: string[] = []
const sink = {
  accepting: true,
  record: (event: ConnectorAuditEvent) => recorded.push(event) > 0,
  countDiscovery: (user: string) => void discovery.push(user),
}
let fixture: ProxyFixture
let token: string

beforeAll(async () => {
  fixture = await startProxyFixture(undefined, sink)
  token = await signToken(fixture.keys, { name: 'alice', groups: ['devs'] })
})

afterAll(async () => {
  await fixture?.close()
})

beforeEach(() => {
  recorded.length = 0
  discovery.length = 0
  sink.accepting = true
  fixture.upstream.handle(undefined)
  fixture.upstream.handleUpgrade(undefined)
})

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(
        {
          host: '127.0.0.1',
          port: fixture.port,
          path,
          ca: fixture.ca,
          servername: 'localhost',
          headers: { authorization: `Bearer ${token}`, 'user-agent': 'kubectl/v1.32.0', ...headers },
        },
        (response) => {
          let body = ''
          response.setEncoding('utf8')
          response.on('data', (chunk: string) => (body += chunk))
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
        },
      )
      .on('error', reject)
  })
}

/** The events recorded so far, each checked against the ingest route's schema. */
async function events(count: number): Promise<ConnectorAuditEvent[]> {
  await eventually(() => recorded.length >= count, 3_000)
  for (const event of recorded) expect(IngestedAuditEvent.safeParse(event).error).toBeUndefined()
  return recorded
}

describe('audit events of proxied requests', () => {
  it('records the request and sends its id as the Audit-ID, replacing the client’s', async () => {
    const answer = await get('/api/v1/namespaces/web/configmaps?limit=5&token=hunter2', {
      'audit-id': 'chosen-by-the-client',
    })
    expect(answer.status).toBe(200)
    const [event] = await events(1)
    const upstream = fixture.upstream.requests.at(-1)!
    expect(headerValues(upstream.rawHeaders, 'audit-id')).toEqual([event!.id])
    expect(event).toMatchObject({
      type: 'kube.request',
      outcome: 'success',
      actor: { kind: 'user', name: 'alice' },
      sourceIp: '127.0.0.1',
      userAgent: 'kubectl/v1.32.0',
      details: {
        verb: 'list',
        apiGroup: '',
        apiVersion: 'v1',
        resource: 'configmaps',
        namespace: 'web',
        requestUri: '/api/v1/namespaces/web/configmaps?limit=5&token=REDACTED',
        status: 200,
        bytes: Buffer.byteLength(answer.body),
        decidedBy: 'api-server',
        groups: ['devs'],
      },
    })
    expect(JSON.stringify(recorded)).not.toContain('hunter2')
    expect(JSON.stringify(recorded)).not.toContain(token)
  })

  it("records the API server's refusal with its Status reason", async () => {
    const status = {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      message: 'secrets is forbidden: User "alice" cannot list resource "secrets" in the namespace "db"',
      reason: 'Forbidden',
      code: 403,
    }
    fixture.upstream.handle((_request, response) =>
      response.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify(status)),
    )
    expect((await get('/api/v1/namespaces/db/secrets')).status).toBe(403)
    const [event] = await events(1)
    expect(event).toMatchObject({
      outcome: 'failure',
      reason: status.message,
      details: { status: 403, decidedBy: 'api-server', statusReason: 'Forbidden', resource: 'secrets' },
    })
  })

  it("records the proxy's refusals with their reason, anonymous when the token does not verify", async () => {
    const nobody = await signToken(fixture.keys, { name: 'mallory', groups: [] })
    expect((await get('/api/v1/pods', { authorization: `Bearer ${nobody}` })).status).toBe(403)
    expect((await get('/api/v1/pods', { authorization: 'Bearer not-a-jwt' })).status).toBe(401)
    const [refused, unauthenticated] = await events(2)
    expect(refused).toMatchObject({
      outcome: 'failure',
      actor: { kind: 'user', name: 'mallory' },
      reason: 'mallory has no grant on this destination',
      details: { status: 403, decidedBy: 'proxy', statusReason: 'mallory has no grant on this destination' },
    })
    expect(unauthenticated).toMatchObject({
      actor: { kind: 'anonymous' },
      details: { status: 401, decidedBy: 'proxy' },
    })
    expect(fixture.upstream.requests.some((request) => request.url === '/api/v1/pods')).toBe(false)
  })

  it('only counts discovery requests', async () => {
    for (const path of ['/api', '/apis', '/apis/apps/v1', '/version', '/openapi/v2']) {
      expect((await get(path)).status).toBe(200)
    }
    expect(discovery).toEqual(['alice', 'alice', 'alice', 'alice', 'alice'])
    expect(recorded).toEqual([])
  })

  it('refuses requests while the audit log cannot record them when failing closed, and records that', async () => {
    sink.accepting = false
    const before = fixture.upstream.requests.length
    const answer = await get('/api/v1/namespaces/web/pods')
    expect(answer.status).toBe(503)
    expect(JSON.parse(answer.body).message).toMatch(/cannot record audit events/)
    expect(fixture.upstream.requests.length).toBe(before)
    const [event] = await events(1)
    expect(event).toMatchObject({ outcome: 'failure', details: { status: 503, decidedBy: 'proxy' } })
  })
})

describe('audit events of sessions', () => {
  it('records an exec session as its start (the Audit-ID the API server saw) and its end', async () => {
    const socket = connectTls(fixture)
    await new Promise((resolve) => socket.once('secureConnect', resolve))
    socket.write(
      [
        'POST /api/v1/namespaces/web/pods/app/exec?command=sh&container=main&stdin=true HTTP/1.1',
        'Host: localhost',
        `Authorization: Bearer ${token}`,
        'Audit-ID: chosen-by-the-client',
        'Connection: Upgrade',
        'Upgrade: SPDY/3.1',
        '',
        '',
      ].join('\r\n'),
    )
    let received = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => (received += chunk))
    await eventually(() => received.includes('HTTP/1.1 101'), 3_000)
    const [started] = await events(1)
    const upgrade = fixture.upstream.requests.at(-1)!
    expect(headerValues(upgrade.rawHeaders, 'audit-id')).toEqual([started!.id])
    expect(started).toMatchObject({
      type: 'kube.session.started',
      actor: { kind: 'user', name: 'alice' },
      details: { kind: 'exec', namespace: 'web', pod: 'app', container: 'main' },
    })
    socket.write('echo hi')
    await eventually(() => received.includes('echo hi'), 3_000)
    socket.destroy()
    const [, ended] = await events(2)
    expect(ended).toMatchObject({
      type: 'kube.session.ended',
      details: { kind: 'exec', pod: 'app', session: started!.id, status: 101 },
    })
    expect(ended!.id > started!.id).toBe(true)
    expect(recorded).toHaveLength(2)
  })

  it('records an upgrade the API server refuses as a request it decided', async () => {
    fixture.upstream.handleUpgrade((_request, socket) => {
      const body = JSON.stringify({ kind: 'Status', code: 403, reason: 'Forbidden', message: 'no exec' })
      socket.end(
        `HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      )
    })
    const answer = await rawRequest(
      fixture,
      `POST /api/v1/namespaces/web/pods/app/portforward?ports=80 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n`,
    )
    expect(answer.status).toBe(403)
    const [event] = await events(1)
    expect(event).toMatchObject({
      type: 'kube.request',
      outcome: 'failure',
      reason: 'no exec',
      details: { verb: 'create', subresource: 'portforward', status: 403, statusReason: 'Forbidden' },
    })
  })
})
