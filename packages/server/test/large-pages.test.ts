import { LAST_UPDATE_INDEX_HEADER } from '@infra/api-types'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startTestServer, uniqueName, type TestServer } from './harness.js'

let t: TestServer
let userId: string
const BIG = uniqueName('big').replaceAll('.', '-')
const PAGE = 1000

beforeAll(async () => {
  t = await startTestServer()
  userId = (await t.api<{ id: string }>('POST', '/api/users', { body: { name: uniqueName('pages') } })).id
  // IDs in base58, as the schema checked on every answer wants them.
  await t.server.ctx.sql.query(
    `INSERT INTO grants (id, user_id, privilege, resource, destination, created_by, updated)
     SELECT 'Lg' || translate(i::text, '0', 'z'), $1, 'view', $2 || '.ns' || i, $2, $1, now()
     FROM generate_series(1, ${2 * PAGE}) AS i`,
    [userId, BIG],
  )
})

afterAll(async () => {
  await t.close()
})

/** Keeps `clients` requests for full pages going, one after another each, until `stop()`. */
function largePageLoad(clients: number) {
  let running = true
  let inFlight = 0
  let answered = 0
  const client = async () => {
    while (running) {
      inFlight++
      const page = await t.api<{ count: number }>('GET', '/api/grants', {
        query: { destination: BIG, limit: PAGE },
      })
      inFlight--
      expect(page.count).toBe(PAGE)
      answered++
    }
  }
  const done = Promise.all(Array.from({ length: clients }, client))
  return {
    inFlight: () => inFlight,
    answered: () => answered,
    stop: async () => {
      running = false
      await done
    },
  }
}

describe('large pages', () => {
  it('are the same JSON, field for field and in the same order, as the single answers', async () => {
    const group = await t.api<{ id: string }>('POST', '/api/groups', { body: { name: uniqueName('g') } })
    await t.api('POST', '/api/grants', { body: { group: group.id, privilege: 'view', resource: 'one.ns' } })
    await t.api('POST', '/api/destinations', {
      body: {
        name: uniqueName('d').replaceAll('.', '-'),
        uniqueID: 'u1',
        kind: 'kubernetes',
        version: '1',
        connection: { url: 'https://example.com', ca: 'x' },
        resources: ['a'],
        roles: ['view'],
      },
    })
    const created = await t.api<{ id: string; accessKey?: string }>('POST', '/api/access-keys', {
      body: { userID: userId },
    })
    const same = (listed: unknown, single: unknown) =>
      expect(JSON.stringify(listed)).toBe(JSON.stringify(single))
    const items = async <T>(path: string, query: Record<string, string | number> = {}) =>
      (await t.api<{ items: T[] }>('GET', path, { query: { limit: PAGE, ...query } })).items
    for (const grant of await items<{ id: string }>('/api/grants', { resource: 'one.ns' }))
      same(grant, await t.api('GET', `/api/grants/${grant.id}`))
    // The first admin has been seen (lastSeenAt set), the other user has not. Asked by another admin, once the
    // first one's last use is stored, so that the answers do not move between the two requests.
    const other = await t.userWithRole('admin')
    await new Promise((resolve) => setTimeout(resolve, 500))
    const users = await t.api<{ items: { id: string }[] }>('GET', '/api/users', { key: other.key })
    for (const user of users.items.filter((user) => user.id !== other.id))
      same(user, await t.api('GET', `/api/users/${user.id}`, { key: other.key }))
    for (const listed of await items<{ id: string }>('/api/groups'))
      same(listed, await t.api('GET', `/api/groups/${listed.id}`))
    for (const destination of await items<{ id: string }>('/api/destinations'))
      same(destination, await t.api('GET', `/api/destinations/${destination.id}`))
    const { accessKey: _secret, ...key } = created
    same(
      (await items<{ id: string }>('/api/access-keys', { userID: userId })).find((k) => k.id === key.id),
      key,
    )
  })

  it('leave health checks and long-poll wake-ups unstalled while several are being answered', async () => {
    const quiet = uniqueName('quiet').replaceAll('.', '-')
    const first = await t.request('GET', '/api/grants', { query: { destination: quiet, lastUpdateIndex: 1 } })
    const poll = t.api<{ items: { resource: string }[] }>('GET', '/api/grants', {
      query: { destination: quiet, lastUpdateIndex: Number(first.headers.get(LAST_UPDATE_INDEX_HEADER)) },
    })
    const load = largePageLoad(6)
    try {
      // Once large answers are going out…
      while (load.answered() === 0) await new Promise((resolve) => setTimeout(resolve, 10))
      // …a health check is answered among them, not after them,
      const health = await fetch(`${t.url}/healthz`)
      expect(health.status).toBe(200)
      expect(load.inFlight()).toBeGreaterThan(0)
      // and so is a waiting long poll woken by a change.
      await t.api('POST', '/api/grants', {
        body: { user: userId, privilege: 'view', resource: `${quiet}.web` },
      })
      expect((await poll).items.map((grant) => grant.resource)).toEqual([`${quiet}.web`])
      expect(load.inFlight()).toBeGreaterThan(0)
    } finally {
      await load.stop()
    }
  })
})
