import { LAST_UPDATE_INDEX_HEADER } from '@infra/api-types'
import { createTestDatabase, type TestDatabase } from '@infra/test-harness'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startTestServer, uniqueName, type TestServer } from './harness.js'
import { sleep } from './helpers.js'

let database: TestDatabase
let a: TestServer
let b: TestServer

beforeAll(async () => {
  database = await createTestDatabase()
  const settings = { longPollTimeoutMs: 1_500 }
  a = await startTestServer({ settings }, database)
  b = await startTestServer({ settings, adminAccessKey: a.adminKey }, database)
})

afterAll(async () => {
  await a.close()
  await b.close()
  await database.drop()
})

const indexOf = (response: { headers: Headers }) => Number(response.headers.get(LAST_UPDATE_INDEX_HEADER))

async function newUser(t: TestServer) {
  return (await t.request<{ id: string }>('POST', '/api/users', { body: { name: uniqueName('lp') } })).body.id
}

/** Resolves with the answer of a long poll; also reports whether it was still waiting after `ms`, or now. */
function pollAndCheckWaiting(t: TestServer, query: Record<string, string | number>, ms = 300) {
  let settled = false
  const answer = t.request<any>('GET', '/api/grants', { query }).finally(() => (settled = true))
  const stillWaiting = new Promise<boolean>((resolve) => setTimeout(() => resolve(!settled), ms))
  return { answer, stillWaiting, waiting: () => !settled }
}

describe('long polling on grants', () => {
  it('answers the initial request at once, with the index to send next', async () => {
    const destination = uniqueName('d')
    const first = await a.request<any>('GET', '/api/grants', { query: { destination, lastUpdateIndex: 1 } })
    expect(first.status).toBe(200)
    expect(first.body.items).toEqual([])
    expect(indexOf(first)).toBeGreaterThan(1)
  })

  it('waits until a grant on the destination is created, then answers with it', async () => {
    const destination = uniqueName('d')
    const user = await newUser(a)
    const first = await a.request('GET', '/api/grants', { query: { destination, lastUpdateIndex: 1 } })
    const poll = pollAndCheckWaiting(a, { destination, lastUpdateIndex: indexOf(first) })
    expect(await poll.stillWaiting).toBe(true)
    await a.request('POST', '/api/grants', {
      body: { user, privilege: 'view', resource: `${destination}.web` },
    })
    const woken = await poll.answer
    expect(woken.status).toBe(200)
    expect(woken.body.items.map((grant: any) => grant.resource)).toEqual([`${destination}.web`])
    expect(indexOf(woken)).toBeGreaterThan(indexOf(first))
  })

  it('answers at once when something changed since the index given', async () => {
    const destination = uniqueName('d')
    const user = await newUser(a)
    const first = await a.request('GET', '/api/grants', { query: { destination, lastUpdateIndex: 1 } })
    await a.request('POST', '/api/grants', { body: { user, privilege: 'view', resource: destination } })
    const next = await a.request<any>('GET', '/api/grants', {
      query: { destination, lastUpdateIndex: indexOf(first) },
    })
    expect(next.status).toBe(200)
    expect(next.body.count).toBe(1)
  })

  it('wakes on delete, and not for changes to other destinations', async () => {
    const destination = uniqueName('d')
    const user = await newUser(a)
    const grant = await a.request<any>('POST', '/api/grants', {
      body: { user, privilege: 'view', resource: destination },
    })
    const first = await a.request('GET', '/api/grants', { query: { destination, lastUpdateIndex: 1 } })
    const poll = pollAndCheckWaiting(a, { destination, lastUpdateIndex: indexOf(first) })
    await a.request('POST', '/api/grants', {
      body: { user, privilege: 'view', resource: uniqueName('other') },
    })
    expect(await poll.stillWaiting).toBe(true)
    await a.request('DELETE', `/api/grants/${grant.body.id}`)
    const woken = await poll.answer
    expect(woken.status).toBe(200)
    expect(woken.body.items).toEqual([])
  })

  it('answers 304 with no body when nothing changes before the timeout', async () => {
    const destination = uniqueName('d')
    const first = await a.request('GET', '/api/grants', { query: { destination, lastUpdateIndex: 1 } })
    const started = Date.now()
    const timedOut = await a.request('GET', '/api/grants', {
      query: { destination, lastUpdateIndex: indexOf(first) },
    })
    expect(timedOut.status).toBe(304)
    expect(timedOut.body).toBeUndefined()
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000)
  })

  it("moves a user's index when group membership changes their inherited grants", async () => {
    const user = await newUser(a)
    const group = (await a.request<any>('POST', '/api/groups', { body: { name: uniqueName('g') } })).body.id
    await a.request('POST', '/api/grants', {
      body: { group, privilege: 'edit', resource: uniqueName('dest') },
    })
    const query = { user, showInherited: 'true' }
    const first = await a.request('GET', '/api/grants', { query: { ...query, lastUpdateIndex: 1 } })
    const poll = pollAndCheckWaiting(a, { ...query, lastUpdateIndex: indexOf(first) })
    expect(await poll.stillWaiting).toBe(true)
    await a.request('PATCH', `/api/groups/${group}/users`, { body: { usersToAdd: [user] } })
    const woken = await poll.answer
    expect(woken.status).toBe(200)
    expect(woken.body.items.map((grant: any) => grant.group)).toEqual([group])
  })

  it('wakes a destination’s waiters when members join or leave a group holding grants there, not other groups', async () => {
    const destination = uniqueName('d')
    const [leaver, joiner] = [await newUser(a), await newUser(a)]
    const newGroup = async () =>
      (await a.request<any>('POST', '/api/groups', { body: { name: uniqueName('g') } })).body.id as string
    const [granted, elsewhere] = [await newGroup(), await newGroup()]
    await a.request('POST', '/api/grants', {
      body: { group: granted, privilege: 'view', resource: `${destination}.web` },
    })
    await a.request('POST', '/api/grants', {
      body: { group: elsewhere, privilege: 'view', resource: uniqueName('other') },
    })
    await a.request('PATCH', `/api/groups/${granted}/users`, { body: { usersToAdd: [leaver] } })
    const first = await a.request<any>('GET', '/api/grants', { query: { destination, lastUpdateIndex: 1 } })
    const grants = first.body.items
    expect(grants).toHaveLength(1)

    // The grant list answered is the same each time: only who is in the group changed.
    const expectWokenBy = async (since: number, change: () => Promise<unknown>) => {
      const poll = pollAndCheckWaiting(a, { destination, lastUpdateIndex: since })
      await a.request('PATCH', `/api/groups/${elsewhere}/users`, { body: { usersToAdd: [joiner] } })
      await a.request('PATCH', `/api/groups/${elsewhere}/users`, { body: { usersToRemove: [joiner] } })
      await sleep(200)
      expect(poll.waiting()).toBe(true)
      await change()
      const woken = await poll.answer
      expect(woken.status).toBe(200)
      expect(woken.body.items).toEqual(grants)
      expect(indexOf(woken)).toBeGreaterThan(since)
      return indexOf(woken)
    }
    let index = indexOf(first)
    index = await expectWokenBy(index, () =>
      a.request('PATCH', `/api/groups/${granted}/users`, { body: { usersToRemove: [leaver] } }),
    )
    index = await expectWokenBy(index, () =>
      a.request('PATCH', `/api/groups/${granted}/users`, { body: { usersToAdd: [joiner] } }),
    )
    await expectWokenBy(index, () => a.request('DELETE', `/api/users/${joiner}`))
  })

  it('wakes a waiter on one server for a change made through another', async () => {
    const destination = uniqueName('d')
    const user = await newUser(a)
    const first = await b.request('GET', '/api/grants', { query: { destination, lastUpdateIndex: 1 } })
    const poll = pollAndCheckWaiting(b, { destination, lastUpdateIndex: indexOf(first) })
    expect(await poll.stillWaiting).toBe(true)
    await a.request('POST', '/api/grants', { body: { user, privilege: 'view', resource: destination } })
    const woken = await poll.answer
    expect(woken.status).toBe(200)
    expect(woken.body.count).toBe(1)
  })

  it('ends a waiting poll with 401 as soon as its access key is revoked, through any server', async () => {
    const user = await newUser(a)
    const created = await a.request<{ id: string; accessKey: string }>('POST', '/api/access-keys', {
      body: { userID: user, name: uniqueName('poller') },
    })
    const key = created.body.accessKey
    const query = { user: 'self', lastUpdateIndex: 1 }
    const first = await b.request<any>('GET', '/api/grants', { query, key })
    let settled = false
    const poll = b
      .request<any>('GET', '/api/grants', { query: { ...query, lastUpdateIndex: indexOf(first) }, key })
      .finally(() => (settled = true))
    await sleep(300)
    expect(settled).toBe(false)
    expect((await a.request('DELETE', `/api/access-keys/${created.body.id}`)).status).toBe(204)
    // Not the 304 the poll would have got at the end of its wait: it ended because the key went.
    const answer = await poll
    expect(answer.status).toBe(401)
    expect(answer.body.message).toMatch(/no longer valid/)
  })

  it('frees the waiter as soon as the client goes away', async () => {
    const destination = uniqueName('d')
    const first = await a.request('GET', '/api/grants', { query: { destination, lastUpdateIndex: 1 } })
    const before = a.server.ctx.updates.waiterCount
    const controller = new AbortController()
    const url = new URL(`/api/grants?destination=${destination}&lastUpdateIndex=${indexOf(first)}`, a.url)
    const pending = fetch(url, {
      headers: { 'Infra-Version': '0.17.0', Authorization: `Bearer ${a.adminKey}` },
      signal: controller.signal,
    }).catch(() => 'aborted')
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(a.server.ctx.updates.waiterCount).toBe(before + 1)
    controller.abort()
    await pending
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(a.server.ctx.updates.waiterCount).toBe(before)
  })
})

describe('long polling on destinations', () => {
  it('wakes when a destination is registered, not on a heartbeat', async () => {
    const first = await a.request('GET', '/api/destinations', { query: { lastUpdateIndex: 1 } })
    const name = uniqueName('cluster')
    const poll = a.request<any>('GET', '/api/destinations', { query: { lastUpdateIndex: indexOf(first) } })
    await new Promise((resolve) => setTimeout(resolve, 200))
    await a.request('POST', '/api/destinations', { body: { name, uniqueID: 'u1' } })
    const woken = await poll
    expect(woken.status).toBe(200)
    expect(woken.body.items.map((destination: any) => destination.name)).toContain(name)

    const id = woken.body.items.find((destination: any) => destination.name === name).id
    await a.request('PUT', `/api/destinations/${id}`, { body: { name, uniqueID: 'u1' } })
    const quiet = await a.request('GET', '/api/destinations', { query: { lastUpdateIndex: indexOf(woken) } })
    expect(quiet.status).toBe(304)
  })
})
