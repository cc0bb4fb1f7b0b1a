// The audit shipper against an in-memory ingest that keeps each id once, as the server's does: batching,
// lateness, the bounded buffer while the server is away, idempotent retries, drops, fail-closed, discovery counts.
import { afterEach, describe, expect, it } from '@jest/globals'
import { IngestedAuditEvent } from '@infra/api-types'
import { pino } from 'pino'
import { AuditedRequest, type ConnectorAuditEvent } from '../src/audit/events.js'
import { AuditShipper, IngestError, type AuditShipperOptions } from '../src/audit/shipper.js'
import { eventually } from './env.js'

/** An ingest route: stores each id once; `down` makes it fail, `loseAnswers` stores but fails the answer. */
class FakeIngest {
  readonly stored = new Map<string, ConnectorAuditEvent>()
  readonly batches: number[] = []
  down = false
  loseAnswers = false
  reject = false

  send = (events: ConnectorAuditEvent[]) => {
    if (this.down) return Promise.reject(new Error('connect ECONNREFUSED'))
    if (this.reject || !events.every((event) => IngestedAuditEvent.safeParse(event).success))
      return Promise.reject(new IngestError('400: bad event', true))
    this.batches.push(events.length)
    let duplicates = 0
    for (const event of events) {
      if (this.stored.has(event.id)) duplicates++
      else this.stored.set(event.id, event)
    }
    if (this.loseAnswers) return Promise.reject(new Error('socket hang up'))
    return Promise.resolve({ accepted: events.length - duplicates, duplicates })
  }
}

const logs: Array<{ msg: string; [key: string]: unknown }> = []
const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) })
const shippers: AuditShipper[] = []

function shipper(ingest: FakeIngest, options: Partial<AuditShipperOptions> = {}): AuditShipper {
  const made = new AuditShipper({
    send: ingest.send,
    bufferSize: 100,
    failClosed: false,
    logger,
    flushMs: 50,
    maxRetryMs: 100,
    ...options,
  })
  made.start()
  shippers.push(made)
  return made
}

function requestEvent(path = '/api/v1/namespaces/web/pods') {
  return new AuditedRequest('GET', path, '127.0.0.1', 'kubectl/v1.32').requestEvent(
    { name: 'alice@example.com', groups: ['devs'], expires: 0 },
    { status: 200, bytes: 10, decision: { by: 'api-server' } },
  )
}

afterEach(async () => {
  await Promise.all(shippers.splice(0).map((made) => made.stop(0)))
  logs.length = 0
})

describe('audit shipper', () => {
  it('sends events within the flush interval, in batches no larger than the ingest route takes', async () => {
    const ingest = new FakeIngest()
    const made = shipper(ingest, { maxBatch: 10, flushMs: 200 })
    const sent = Date.now()
    for (let i = 0; i < 25; i++) made.record(requestEvent())
    await eventually(() => ingest.stored.size === 25, 2_000)
    // Two full batches went at once, the rest at the next flush.
    expect(Date.now() - sent).toBeLessThan(1_000)
    expect(Math.max(...ingest.batches)).toBeLessThanOrEqual(10)
    expect(made.stats()).toMatchObject({ delivered: 25, buffered: 0, dropped: 0 })
  })

  it('holds events while the server is away and delivers each once when it is back', async () => {
    const ingest = new FakeIngest()
    ingest.down = true
    const made = shipper(ingest)
    const events = Array.from({ length: 30 }, () => requestEvent())
    for (const event of events) made.record(event)
    await eventually(
      () => logs.some((line) => line.msg.startsWith('audit events cannot be delivered')),
      2_000,
    )
    expect(made.stats().buffered).toBe(30)
    // Back, but the answer of the first batch is lost after it was stored: it is sent again with the same ids.
    ingest.down = false
    ingest.loseAnswers = true
    await eventually(() => ingest.stored.size === 30, 2_000)
    ingest.loseAnswers = false
    await eventually(() => made.stats().buffered === 0, 2_000)
    expect([...ingest.stored.keys()].sort()).toEqual(events.map((event) => event.id).sort())
    expect(made.stats()).toMatchObject({ delivered: 0, duplicates: 30, dropped: 0 })
    expect(logs.some((line) => line.msg === 'the server takes audit events again')).toBe(true)
  })

  it('drops and counts events beyond its buffer, and logs it', async () => {
    const ingest = new FakeIngest()
    ingest.down = true
    const made = shipper(ingest, { bufferSize: 10 })
    const kept = Array.from({ length: 15 }, () => made.record(requestEvent()))
    expect(kept.filter(Boolean)).toHaveLength(10)
    expect(made.stats()).toMatchObject({ buffered: 10, dropped: 5 })
    expect(logs.filter((line) => line.msg.startsWith('the audit buffer is full'))).toHaveLength(1)
    ingest.down = false
    await eventually(() => ingest.stored.size === 10, 2_000)
    expect(logs.find((line) => line.msg === 'the audit buffer has room again')).toMatchObject({ dropped: 5 })
  })

  it('fails closed only when asked: not accepting while events cannot be delivered', async () => {
    const ingest = new FakeIngest()
    const open = shipper(ingest)
    const closed = shipper(ingest, { failClosed: true })
    expect(closed.accepting).toBe(true)
    ingest.down = true
    open.record(requestEvent())
    closed.record(requestEvent())
    await eventually(() => !closed.accepting, 2_000)
    expect(open.accepting).toBe(true)
    ingest.down = false
    await eventually(() => closed.accepting, 2_000)
  })

  it('drops only the events the schema refuses from a refused batch', async () => {
    const ingest = new FakeIngest()
    const made = shipper(ingest)
    const bad = requestEvent()
    made.record({ ...bad, details: { ...bad.details, verb: 'x'.repeat(100) } })
    made.record(requestEvent())
    await eventually(() => ingest.stored.size === 1 && made.stats().rejected === 1, 2_000)
  })

  it('drops a batch the server refuses for its content, and goes on with the next', async () => {
    const ingest = new FakeIngest()
    ingest.reject = true
    const made = shipper(ingest)
    made.record(requestEvent())
    await eventually(() => made.stats().rejected === 1, 2_000)
    ingest.reject = false
    made.record(requestEvent())
    await eventually(() => ingest.stored.size === 1, 2_000)
  })

  it('counts discovery requests: one event per user per flush', async () => {
    const ingest = new FakeIngest()
    const made = shipper(ingest, { flushMs: 300 })
    for (let i = 0; i < 5; i++) made.countDiscovery('alice@example.com')
    made.countDiscovery('bob@example.com')
    await eventually(() => ingest.stored.size === 2, 2_000)
    const counts = [...ingest.stored.values()].map((event) => [
      event.actor.name,
      event.type === 'kube.discovery' && event.details.count,
    ])
    expect(counts.sort()).toEqual([
      ['alice@example.com', 5],
      ['bob@example.com', 1],
    ])
    expect([...ingest.stored.values()].every((event) => event.type === 'kube.discovery')).toBe(true)
  })

  it('sends what it holds when stopped', async () => {
    const ingest = new FakeIngest()
    const made = shipper(ingest, { flushMs: 60_000 })
    made.record(requestEvent())
    made.countDiscovery('alice@example.com')
    await made.stop()
    expect(ingest.stored.size).toBe(2)
  })
})

describe('audit events', () => {
  it('records who decided: the proxy with its reason, or the API server with the Status reason', () => {
    const audited = new AuditedRequest('GET', '/api/v1/namespaces/db/secrets?token=t', '10.0.0.9', undefined)
    const identity = { name: 'alice@example.com', groups: ['devs'], expires: 0 }
    const byServer = audited.requestEvent(identity, {
      status: 403,
      bytes: 312,
      decision: {
        by: 'api-server',
        statusReason: 'Forbidden',
        message: 'secrets is forbidden: User "alice@example.com" cannot list resource "secrets"',
      },
    })
    expect(byServer).toMatchObject({
      id: audited.id,
      type: 'kube.request',
      outcome: 'failure',
      reason: 'secrets is forbidden: User "alice@example.com" cannot list resource "secrets"',
      actor: { kind: 'user', name: 'alice@example.com' },
      sourceIp: '10.0.0.9',
      details: {
        verb: 'list',
        apiGroup: '',
        apiVersion: 'v1',
        resource: 'secrets',
        namespace: 'db',
        requestUri: '/api/v1/namespaces/db/secrets?token=REDACTED',
        status: 403,
        bytes: 312,
        decidedBy: 'api-server',
        groups: ['devs'],
        statusReason: 'Forbidden',
      },
    })
    expect(byServer.details).not.toHaveProperty('discovery')
    const byProxy = audited.requestEvent(undefined, {
      status: 401,
      bytes: 0,
      decision: { by: 'proxy', reason: 'Unauthorized: token expired' },
    })
    expect(byProxy).toMatchObject({
      outcome: 'failure',
      actor: { kind: 'anonymous' },
      details: { decidedBy: 'proxy', statusReason: 'Unauthorized: token expired', groups: [] },
    })
  })

  it('cuts what a request names to what the schema takes, so that its event is still recorded', () => {
    const long = 'n'.repeat(400)
    const event = new AuditedRequest(
      'GET',
      `/apis/${long}/v1/namespaces/${long}/pods/${long}`,
      undefined,
      undefined,
    ).requestEvent(
      { name: 'alice@example.com', groups: ['g'.repeat(300)], expires: 0 },
      { status: 404, bytes: 0, decision: { by: 'api-server' } },
    )
    expect(IngestedAuditEvent.safeParse(event).error).toBeUndefined()
    expect(event.details.namespace).toBe('n'.repeat(253))
  })

  it('gives a session end its own id and the id of its start', () => {
    const audited = new AuditedRequest(
      'POST',
      '/api/v1/namespaces/web/pods/p/exec?container=c&command=sh',
      undefined,
      undefined,
    )
    expect(audited.session).toBe('exec')
    const identity = { name: 'alice@example.com', groups: [], expires: 0 }
    const started = audited.sessionStarted(identity, 'exec')
    const ended = audited.sessionEnded(identity, 'exec', 101)
    expect(started).toMatchObject({
      id: audited.id,
      type: 'kube.session.started',
      details: { kind: 'exec', namespace: 'web', pod: 'p', container: 'c' },
    })
    expect(ended.id).not.toBe(started.id)
    expect(ended.id > started.id).toBe(true)
    expect(ended).toMatchObject({
      type: 'kube.session.ended',
      details: { session: started.id, pod: 'p', status: 101 },
    })
    expect(
      new AuditedRequest('POST', '/api/v1/namespaces/web/pods/p/portforward', undefined, undefined).session,
    ).toBe('port-forward')
    expect(
      new AuditedRequest('GET', '/api/v1/namespaces/web/pods/p/log', undefined, undefined).session,
    ).toBeUndefined()
  })
})
