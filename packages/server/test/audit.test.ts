import {
  API_VERSION,
  type AuditEvent,
  type AuditEventPage,
  type AuditHead,
  type AuditVerifyResult,
} from '@infra/api-types'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { kubeRequestEvent } from '@infra/test-harness'
import pg from 'pg'
import { recordAuditEvent } from '../src/services/audit.js'
import { pruneAuditEvents } from '../src/services/audit-retention.js'
import { startTestServer, uniqueName, type TestServer } from './harness.js'

let t: TestServer
let connector: string
let destination: string
let sql: pg.Client

beforeAll(async () => {
  t = await startTestServer()
  connector = (await t.userWithRole('connector')).key
  destination = uniqueName('cluster')
  await t.api('POST', '/api/destinations', { body: { name: destination, uniqueID: uniqueName('uid') } })
  sql = new pg.Client({ connectionString: t.database.url })
  await sql.connect()
})

afterAll(async () => {
  await sql.end()
  await t.close()
})

const ingest = (events: unknown[], to = destination) =>
  t.request<{ accepted: number; duplicates: number }>('POST', '/api/audit/events', {
    key: connector,
    body: { destination: to, events },
  })

const list = (query: Record<string, string | number | string[]>) =>
  t.api<AuditEventPage>('GET', '/api/audit/events', { query })

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString()

describe('ingesting connector events', () => {
  it('stores a batch once: an ID sent again is a duplicate, also within one batch', async () => {
    const events = [kubeRequestEvent(), kubeRequestEvent(), kubeRequestEvent()]
    expect((await ingest(events)).body).toEqual({ accepted: 3, duplicates: 0 })
    expect((await ingest(events)).body).toEqual({ accepted: 0, duplicates: 3 })
    const fresh = kubeRequestEvent()
    expect((await ingest([fresh, fresh])).body).toEqual({ accepted: 1, duplicates: 1 })
    const stored = await t.api<AuditEvent>('GET', `/api/audit/events/${fresh.id}`)
    expect(stored).toMatchObject({ id: fresh.id, type: 'kube.request', destination, details: fresh.details })
  })

  it('refuses server event types, an unknown destination and a batch too large', async () => {
    const login = { ...kubeRequestEvent(), type: 'login', details: { method: 'password' } }
    expect((await ingest([login])).status).toBe(400)
    expect((await ingest([kubeRequestEvent()], uniqueName('nowhere'))).status).toBe(404)
    expect((await ingest([])).status).toBe(400)
  })

  it('refuses text Postgres cannot hold with a clear 400', async () => {
    const response = await ingest([kubeRequestEvent({ userAgent: 'kubectl\u0000' })])
    expect(response.status).toBe(400)
    expect(JSON.stringify(response.body)).toMatch(/userAgent/)
  })
})

describe('recording server events', () => {
  it('commits with the transaction of the change, or not at all', async () => {
    const db = t.server.ctx.db
    const committed = uniqueName('committed')
    const rolledBack = uniqueName('rolled-back')
    const record = (client: Parameters<typeof recordAuditEvent>[0], name: string) =>
      recordAuditEvent(client, {
        type: 'user.created',
        outcome: 'success',
        actor: { kind: 'user', name: 'admin' },
        target: { kind: 'user', name },
        details: {},
      })
    await db.$transaction((tx) => record(tx, committed))
    await expect(
      db.$transaction(async (tx) => {
        await record(tx, rolledBack)
        throw new Error('the change failed')
      }),
    ).rejects.toThrow('the change failed')
    await record(db, uniqueName('outside'))
    // What the server records is cleaned rather than refused: a change must not fail for its audit event.
    await recordAuditEvent(db, {
      type: 'login',
      outcome: 'failure',
      reason: 'unknown user',
      actor: { kind: 'anonymous', name: 'mallory\u0000' },
      userAgent: `curl ${'x'.repeat(5000)}`,
      details: { method: 'password' },
    })
    const [failed] = (await list({ type: 'login', outcome: 'failure', order: 'newest', limit: 1 })).items
    expect(failed?.actor.name).toBe('mallory\uFFFD')
    expect(failed?.userAgent).toHaveLength(1024)
    const names = (await list({ type: 'user.created', limit: 1000 })).items.map((event) => event.target?.name)
    expect(names).toContain(committed)
    expect(names).not.toContain(rolledBack)
  })
})

describe('listing', () => {
  const user = uniqueName('pager')
  const otherDestination = uniqueName('other')
  const ids: string[] = []
  const times: string[] = []

  beforeAll(async () => {
    await t.api('POST', '/api/destinations', {
      body: { name: otherDestination, uniqueID: uniqueName('uid') },
    })
    const events = Array.from({ length: 25 }, (_, index) =>
      kubeRequestEvent({
        occurredAt: minutesAgo(50 - index),
        actor: { kind: 'user', name: user },
        outcome: index % 5 === 0 ? 'failure' : 'success',
        ...(index % 5 === 0 && { reason: 'forbidden' }),
      }),
    )
    ids.push(...events.map((event) => event.id))
    times.push(...events.map((event) => event.occurredAt))
    await ingest(events)
    await ingest([kubeRequestEvent({ actor: { kind: 'user', name: user } })], otherDestination)
  })

  it('pages by ID, oldest first, with next as the cursor, and newest first on request', async () => {
    const seen: string[] = []
    let after: string | null | undefined
    do {
      const page = await list({ user, destination, limit: 10, ...(after ? { after } : {}) })
      expect(page.items.length).toBeLessThanOrEqual(10)
      seen.push(...page.items.map((event) => event.id))
      after = page.next
    } while (after)
    expect(seen).toEqual(ids)
    const newest = await list({ user, destination, limit: 10, order: 'newest' })
    expect(newest.items.map((event) => event.id)).toEqual(ids.slice(-10).reverse())
    const older = await list({ user, destination, limit: 10, order: 'newest', after: newest.next ?? '' })
    expect(older.items.map((event) => event.id)).toEqual(ids.slice(-20, -10).reverse())
  })

  it('filters by outcome, destination, type and time', async () => {
    const failures = await list({ user, outcome: 'failure' })
    expect(failures.items.map((event) => event.id)).toEqual(ids.filter((_, index) => index % 5 === 0))
    expect((await list({ user, destination: otherDestination })).items).toHaveLength(1)
    expect((await list({ user, type: ['login', 'logout'] })).items).toHaveLength(0)
    expect((await list({ user, type: ['kube.request', 'login'] })).items).toHaveLength(26)
    // The 25 events happened 50 to 26 minutes ago: 30m30s back reaches the last 5.
    expect((await list({ user, since: '30m30s', destination })).items.map((event) => event.id)).toEqual(
      ids.slice(-5),
    )
    const between = await list({ user, since: times[5] ?? '', until: times[10] ?? '' })
    expect(between.items.map((event) => event.id)).toEqual(ids.slice(5, 11))
  })

  it('finds a user by ID as well as by name, and answers a clear 400 for a bad filter', async () => {
    const admin = await t.api<{ id: string; name: string }>('GET', '/api/users/self')
    await list({ limit: 1 })
    const byId = await list({ user: admin.id, type: 'audit.read' })
    expect(byId.items.length).toBeGreaterThan(0)
    expect(byId.items.every((event) => event.actor.name === admin.name)).toBe(true)
    const bad = await t.request<{ message: string }>('GET', '/api/audit/events', {
      query: { since: 'yesterday' },
    })
    expect(bad.status).toBe(400)
    expect(bad.body.message).toMatch(/since/)
    expect((await t.request('GET', '/api/audit/events/01937c5e-8f2a-7b1c-9d3e-4f5a6b7c8d9e')).status).toBe(
      404,
    )
    expect((await t.request('GET', '/api/audit/events/not-an-id')).status).toBe(400)
  })

  it('records who read the log, and an auditor may read it while view may not', async () => {
    const auditor = await t.userWithRole('auditor')
    const viewer = await t.userWithRole('view')
    expect((await t.request('GET', '/api/audit/events', { key: viewer.key })).status).toBe(403)
    expect((await t.request('GET', '/api/audit/events', { key: auditor.key, query: { user } })).status).toBe(
      200,
    )
    const reads = await list({ user: auditor.name, type: 'audit.read' })
    expect(reads.items).toHaveLength(1)
    expect(reads.items[0]).toMatchObject({
      actor: { kind: 'user', id: auditor.id, name: auditor.name },
      details: { query: { user, limit: 100, order: 'oldest' } },
    })
  })
})

describe('the export stream', () => {
  it('answers NDJSON in storing order, resumes after a cursor, and follows new events', async () => {
    const first = kubeRequestEvent({ actor: { kind: 'user', name: uniqueName('streamer') } })
    const name = first.actor.name ?? ''
    await ingest([first])
    await t.server.ctx.audit.sealNow()
    const all = await t.api<AuditEvent[]>('GET', '/api/audit/stream', { query: { user: name } })
    expect(all.map((event) => event.id)).toEqual([first.id])

    const response = await fetch(
      new URL(`/api/audit/stream?follow=true&user=${name}&after=${first.id}`, t.url),
      {
        headers: { Authorization: `Bearer ${t.adminKey}`, 'Infra-Version': API_VERSION },
      },
    )
    expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/)
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
    // A late event (it happened before the first) still reaches a follower: the stream is in storing order.
    const late = kubeRequestEvent({ actor: { kind: 'user', name }, occurredAt: minutesAgo(60) })
    await ingest([late])
    let text = ''
    while (!text.includes('\n')) {
      const { value, done } = await reader.read()
      if (done) break
      text += value
    }
    await reader.cancel()
    expect((JSON.parse(text.split('\n')[0] ?? '') as AuditEvent).id).toBe(late.id)
    const exports = await list({ type: 'audit.exported', order: 'newest', limit: 1 })
    expect(exports.items[0]?.details).toEqual({ query: { user: name, after: first.id, follow: true } })
  })
})

describe('the chain', () => {
  const verify = async () => t.api<AuditVerifyResult>('POST', '/api/audit/verify')

  async function sealedPair(): Promise<[string, string]> {
    const events = [kubeRequestEvent(), kubeRequestEvent()]
    await ingest(events)
    await t.server.ctx.audit.sealNow()
    const { rows } = await sql.query<{ id: string }>(
      'SELECT id FROM audit_events WHERE id = ANY($1::uuid[]) ORDER BY seq',
      [events.map((event) => event.id)],
    )
    return [rows[0]?.id ?? '', rows[1]?.id ?? '']
  }

  it('exposes its head and verifies while nothing was touched', async () => {
    await sealedPair()
    const head = await t.api<AuditHead>('GET', '/api/audit/head')
    expect(head.hash).toMatch(/^[0-9a-f]{64}$/)
    const result = await verify()
    expect(result).toEqual({ ok: true, checked: head.count })
  })

  it('detects an event edited in Postgres', async () => {
    const [id] = await sealedPair()
    await sql.query(`UPDATE audit_events SET details = details || '{"verb":"get"}' WHERE id = $1`, [id])
    expect(await verify()).toMatchObject({ ok: false, firstBad: { id, problem: 'edited' } })
    await sql.query(`UPDATE audit_events SET details = details || '{"verb":"list"}' WHERE id = $1`, [id])
    expect((await verify()).ok).toBe(true)
  })

  it('detects an event deleted in Postgres, in the middle and at the end', async () => {
    const [removed, next] = await sealedPair()
    await sql.query('CREATE TEMP TABLE saved AS SELECT * FROM audit_events WHERE id = $1', [removed])
    await sql.query('DELETE FROM audit_events WHERE id = $1', [removed])
    expect(await verify()).toMatchObject({ ok: false, firstBad: { id: next, problem: 'deleted' } })
    await sql.query('INSERT INTO audit_events SELECT * FROM saved')
    expect((await verify()).ok).toBe(true)

    await sql.query('TRUNCATE saved')
    await sql.query('INSERT INTO saved SELECT * FROM audit_events WHERE id = $1', [next])
    await sql.query('DELETE FROM audit_events WHERE id = $1', [next])
    expect(await verify()).toMatchObject({ ok: false, firstBad: { id: removed, problem: 'deleted' } })
    await sql.query('INSERT INTO audit_events SELECT * FROM saved')
    await sql.query('DROP TABLE saved')
    expect((await verify()).ok).toBe(true)
  })

  it('detects two events swapped in Postgres', async () => {
    const [a, b] = await sealedPair()
    const swap = async () => {
      await sql.query('BEGIN')
      const { rows } = await sql.query<{ id: string; seq: string }>(
        'SELECT id, seq FROM audit_events WHERE id = ANY($1::uuid[]) ORDER BY seq',
        [[a, b]],
      )
      await sql.query('UPDATE audit_events SET seq = -seq WHERE id = ANY($1::uuid[])', [[a, b]])
      await sql.query('UPDATE audit_events SET seq = $1 WHERE id = $2', [rows[0]?.seq, rows[1]?.id])
      await sql.query('UPDATE audit_events SET seq = $1 WHERE id = $2', [rows[1]?.seq, rows[0]?.id])
      await sql.query('COMMIT')
    }
    await swap()
    expect(await verify()).toMatchObject({ ok: false, firstBad: { id: b, problem: 'reordered' } })
    await swap()
    expect((await verify()).ok).toBe(true)
  })
})

describe('retention', () => {
  it('removes the events stored before the cut-off in batches, and the chain still verifies', async () => {
    const own = await startTestServer({ settings: { auditSealIntervalMs: 3_600_000 } })
    const db = new pg.Client({ connectionString: own.database.url })
    await db.connect()
    try {
      const old = Array.from({ length: 7 }, () => kubeRequestEvent())
      await own.api('POST', '/api/destinations', { body: { name: destination, uniqueID: uniqueName('uid') } })
      await own.api('POST', '/api/audit/events', {
        key: (await own.userWithRole('connector')).key,
        body: { destination, events: old },
      })
      // Before they are sealed: the time is part of what the chain seals.
      // Only these: setting the destination and the connector up recorded server events too.
      await db.query(
        `UPDATE audit_events SET time = now() - interval '400 days' WHERE id = ANY($1::uuid[])`,
        [old.map((event) => event.id)],
      )
      await own.server.ctx.audit.sealNow()
      await own.api('GET', '/api/audit/events')
      await own.server.ctx.audit.sealNow()
      const before = await own.api<AuditHead>('GET', '/api/audit/head')
      const yearAgo = new Date(Date.now() - 365 * 86_400_000)
      expect(await pruneAuditEvents(own.server.ctx.sql, yearAgo, 3)).toBe(7)
      const remaining = await db.query('SELECT 1 FROM audit_events WHERE id = ANY($1::uuid[])', [
        old.map((event) => event.id),
      ])
      expect(remaining.rowCount).toBe(0)
      expect(await own.api<AuditHead>('GET', '/api/audit/head')).toEqual({
        ...before,
        count: before.count - 7,
      })
      expect(await own.api<AuditVerifyResult>('POST', '/api/audit/verify')).toEqual({
        ok: true,
        checked: before.count - 7,
      })
      expect(await pruneAuditEvents(own.server.ctx.sql, yearAgo, 3)).toBe(0)
    } finally {
      await db.end()
      await own.close()
    }
  })
})
