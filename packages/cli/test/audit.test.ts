import type { AuditEvent } from '@infra/api-types'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { kubeRequestEvent } from '@infra/test-harness'
import pg from 'pg'
import { run, sandbox, startTestServer, uniqueName, type Sandbox, type TestServer } from './helpers.js'

let t: TestServer
let box: Sandbox
const infra = (...args: string[]) => run(args, box.env)
const name = uniqueName('alice')
const destination = uniqueName('production')
const events = [
  kubeRequestEvent({ actor: { kind: 'user', name } }),
  kubeRequestEvent({
    actor: { kind: 'user', name },
    outcome: 'failure',
    details: { verb: 'delete', name: 'web', status: 403, decidedBy: 'proxy', statusReason: 'no grant' },
  }),
]

beforeAll(async () => {
  t = await startTestServer()
  box = sandbox()
  expect((await infra('login', t.url, '--key', t.adminKey)).code).toBe(0)
  await t.api('POST', '/api/destinations', { body: { name: destination, uniqueID: uniqueName('uid') } })
  const connector = await t.userWithRole('connector')
  await t.api('POST', '/api/audit/events', { key: connector.key, body: { destination, events } })
  await t.server.ctx.audit.sealNow()
})
afterAll(async () => {
  await t.close()
  box.cleanup()
})

describe('infra audit', () => {
  it('list: a table, JSON and NDJSON, with filters', async () => {
    const table = await infra('audit', 'list', '--user', name)
    expect(table.code).toBe(0)
    const lines = table.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^ID +TIME +TYPE +OUTCOME +ACTOR +DESTINATION +WHAT$/)
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${events[0]?.id} .* kube\\.request +success +${name} +${destination} +list pods -n default 200$`,
        ),
      ),
      expect.stringMatching(/delete pods\/web -n default 403 \(proxy: no grant\)$/),
    ])
    const failures = await infra('audit', 'list', '--user', name, '--outcome', 'failure', '--format', 'json')
    expect((JSON.parse(failures.stdout) as AuditEvent[]).map((event) => event.id)).toEqual([events[1]?.id])
    const ndjson = await infra('audit', 'list', '--user', name, '--format', 'ndjson', '--limit', '1')
    expect(
      ndjson.stdout
        .trimEnd()
        .split('\n')
        .map((line) => (JSON.parse(line) as AuditEvent).id),
    ).toEqual([events[0]?.id])
    expect(ndjson.stderr).toBe(`More events: infra audit list --after ${events[0]?.id} …\n`)
    expect(await infra('audit', 'list', '--since', 'yesterday')).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/since/),
    })
    expect(await infra('audit', 'list', '--user', uniqueName('nobody'))).toEqual({
      code: 0,
      stdout: '',
      stderr: 'No audit events.\n',
    })
  })

  it('show: one event in full', async () => {
    const shown = await infra('audit', 'show', events[1]?.id ?? '')
    expect(JSON.parse(shown.stdout)).toMatchObject({
      id: events[1]?.id,
      details: { statusReason: 'no grant' },
    })
    expect(await infra('audit', 'show', '01937c5e-8f2a-7b1c-9d3e-4f5a6b7c8d9e')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: no audit event 01937c5e-8f2a-7b1c-9d3e-4f5a6b7c8d9e\nhint: see infra audit list\n',
    })
  })

  it('tail: the latest events, oldest of them first', async () => {
    const tail = await infra('audit', 'tail', '-n', '1', '--user', name, '--format', 'ndjson')
    expect((JSON.parse(tail.stdout) as AuditEvent).id).toBe(events[1]?.id)
  })

  it('export: NDJSON in storing order, resuming after an ID', async () => {
    const all = await infra('audit', 'export', '--user', name)
    const ids = all.stdout
      .trimEnd()
      .split('\n')
      .map((line) => (JSON.parse(line) as AuditEvent).id)
    expect(ids).toEqual(events.map((event) => event.id))
    const rest = await infra('audit', 'export', '--user', name, '--after', ids[0] ?? '')
    expect(
      rest.stdout
        .trimEnd()
        .split('\n')
        .map((line) => (JSON.parse(line) as AuditEvent).id),
    ).toEqual([ids[1]])
  })

  it('verify: passes, then names an event edited in Postgres', async () => {
    expect(await infra('audit', 'verify')).toEqual({
      code: 0,
      stdout: expect.stringMatching(
        /^The audit log verifies: \d+ events checked\.\nHead: \S+ [0-9a-f]{64}\n$/,
      ),
      stderr: '',
    })
    const db = new pg.Client({ connectionString: t.database.url })
    await db.connect()
    try {
      await db.query(`UPDATE audit_events SET outcome = 'success' WHERE id = $1`, [events[1]?.id])
      expect(await infra('audit', 'verify')).toEqual({
        code: 1,
        stdout: '',
        stderr: expect.stringMatching(
          new RegExp(
            `^error: the audit log does not verify: event ${events[1]?.id} was edited \\(\\d+ events checked before it\\)\nhint: see infra audit show ID\n$`,
          ),
        ),
      })
    } finally {
      await db.query(`UPDATE audit_events SET outcome = 'failure' WHERE id = $1`, [events[1]?.id])
      await db.end()
    }
  })

  it('refuses callers without admin or auditor', async () => {
    const viewer = await t.userWithRole('view')
    const result = await run(['audit', 'list', '--access-key', viewer.key], box.env)
    expect(result).toMatchObject({ code: 1, stderr: expect.stringMatching(/admin or auditor/) })
  })
})
