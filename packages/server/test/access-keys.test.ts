import { ACCESS_KEY_PATTERN } from '@infra/api-types'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startTestServer, uniqueName, type TestServer } from './harness.js'
import {
  eventually,
  expectConforms,
  expectError,
  expectFieldErrors,
  idsOf,
  sleep,
  type Page,
} from './helpers.js'

let t: TestServer

beforeAll(async () => {
  t = await startTestServer()
})

afterAll(() => t.close())

interface AccessKey {
  id: string
  name: string
  created: string
  expires: string
  inactivityTimeout: string
  issuedFor: string
  issuedForName: string
  lastUsed?: string
  providerID: string
  accessKey?: string
}

const HOUR = 3_600_000

async function newUser() {
  const name = uniqueName('keyholder')
  const response = await t.request<{ id: string }>('POST', '/api/users', { body: { name } })
  expect(response.status).toBe(201)
  return { id: response.body.id, name }
}

async function createKey(body: Record<string, string>, key?: string) {
  return expectConforms<AccessKey & { accessKey: string }>(
    'createAccessKey',
    await t.request('POST', '/api/access-keys', { body, key }),
  )
}

const listKeys = async (query: Record<string, string | boolean | number>, key?: string) =>
  expectConforms<Page<AccessKey>>(
    'listAccessKeys',
    await t.request('GET', '/api/access-keys', { query, key }),
  )

const works = async (key: string) => (await t.request('GET', '/api/users/self', { key })).status

/** Roughly `ms` from now: within the time the request took plus some slack. */
function expectAbout(timestamp: string, ms: number, before: number) {
  expect(Date.parse(timestamp)).toBeGreaterThanOrEqual(before + ms - 1000)
  expect(Date.parse(timestamp)).toBeLessThanOrEqual(Date.now() + ms + 1000)
}

describe('POST /api/access-keys', () => {
  it('issues a key "<10 characters>.<24 characters>" shown once', async () => {
    const user = await newUser()
    const before = Date.now()
    const created = await createKey({ userID: user.id, name: 'ci-key' })
    expect(created.accessKey).toMatch(ACCESS_KEY_PATTERN)
    expect(created.accessKey).toMatch(/^[0-9A-Za-z]{10}\.[0-9A-Za-z]{24}$/)
    expect(created).toMatchObject({ name: 'ci-key', issuedFor: user.id, issuedForName: user.name })
    expect(created.lastUsed).toBeUndefined()
    // The default lifetime and extension window are 720h.
    expectAbout(created.expires, 720 * HOUR, before)
    expectAbout(created.inactivityTimeout, 720 * HOUR, before)
    const listed = (await listKeys({ userID: user.id })).items
    expect(listed).toEqual([expect.objectContaining({ id: created.id, name: 'ci-key' })])
    expect(listed[0]!.accessKey).toBeUndefined()
    expect(JSON.stringify(listed)).not.toContain(created.accessKey.split('.')[1])
    expect(await works(created.accessKey)).toBe(200)
  })

  it('gives keys without a name distinct names', async () => {
    const user = await newUser()
    const one = await createKey({ userID: user.id })
    const two = await createKey({ userID: user.id })
    expect(one.name).not.toBe(two.name)
    expect(one.accessKey.split('.')[0]).not.toBe(two.accessKey.split('.')[0])
  })

  it('takes expiry and inactivityTimeout, never letting the deadline pass the expiry', async () => {
    const user = await newUser()
    const before = Date.now()
    const short = await createKey({ userID: user.id, expiry: '1h', inactivityTimeout: '30m' })
    expectAbout(short.expires, HOUR, before)
    expectAbout(short.inactivityTimeout, HOUR / 2, before)
    const capped = await createKey({ userID: user.id, expiry: '1h', inactivityTimeout: '720h' })
    expect(capped.inactivityTimeout).toBe(capped.expires)
    const goStyle = await createKey({ userID: user.id, expiry: '1h30m0s' })
    expectAbout(goStyle.expires, 1.5 * HOUR, before)
  })

  // An empty name is no name, as Infra's clients send it (see infra-clients.test.ts).
  it('rejects bad names', async () => {
    for (const name of ['has space', 'a/b', 'x'.repeat(257)]) {
      expectFieldErrors(await t.request('POST', '/api/access-keys', { body: { userID: 'self', name } }), [
        'name',
      ])
    }
  })

  it('lets users create keys for themselves only, unless they are admins', async () => {
    const user = await t.userWithRole('view')
    const other = await newUser()
    expect((await createKey({ userID: 'self' }, user.key)).issuedFor).toBe(user.id)
    expect((await createKey({ userID: user.id }, user.key)).issuedFor).toBe(user.id)
    expectError(
      await t.request('POST', '/api/access-keys', { key: user.key, body: { userID: other.id } }),
      403,
    )
    expect((await createKey({ userID: other.id })).issuedFor).toBe(other.id)
    expectError(await t.request('POST', '/api/access-keys', { body: { userID: 'zzzzzzzzzzz' } }), 404)
  })
})

describe('GET /api/access-keys', () => {
  it('filters by user, self and name', async () => {
    const user = await newUser()
    const a = await createKey({ userID: user.id, name: 'alpha' })
    const b = await createKey({ userID: user.id, name: 'beta' })
    expect(idsOf((await listKeys({ userID: user.id })).items)).toEqual([a.id, b.id])
    expect(idsOf((await listKeys({ userID: user.id, name: 'beta' })).items)).toEqual([b.id])
    expect((await listKeys({ userID: user.id, name: 'gamma' })).items).toEqual([])
    // Names are per user: another user's "alpha" is another key.
    const other = await newUser()
    const otherAlpha = await createKey({ userID: other.id, name: 'alpha' })
    expect(idsOf((await listKeys({ name: 'alpha', limit: 1000 })).items)).toEqual(
      expect.arrayContaining([a.id, otherAlpha.id]),
    )
    expect(idsOf((await listKeys({ userID: 'self', name: 'alpha' }, a.accessKey)).items)).toEqual([a.id])
  })

  it('hides expired keys unless showExpired is set, whether expired by ttl or by disuse', async () => {
    const user = await newUser()
    const live = await createKey({ userID: user.id, name: 'live' })
    const expiring = await createKey({ userID: user.id, name: 'expiring', expiry: '1s' })
    const idle = await createKey({ userID: user.id, name: 'idle', expiry: '1h', inactivityTimeout: '1s' })
    expect(idsOf((await listKeys({ userID: user.id })).items)).toEqual([live.id, expiring.id, idle.id])
    await sleep(1300)
    expect(idsOf((await listKeys({ userID: user.id })).items)).toEqual([live.id])
    expect(idsOf((await listKeys({ userID: user.id, showExpired: 'false' })).items)).toEqual([live.id])
    expect(idsOf((await listKeys({ userID: user.id, showExpired: true })).items)).toEqual([
      live.id,
      expiring.id,
      idle.id,
    ])
  })

  it('shows a user without a role only their own keys', async () => {
    const user = await t.userWithRole('none')
    const other = await newUser()
    await createKey({ userID: other.id })
    const mine = await listKeys({}, user.key)
    expect(mine.items.map((key) => key.issuedFor)).toEqual([user.id])
    expectError(
      await t.request('GET', '/api/access-keys', { key: user.key, query: { userID: other.id } }),
      403,
    )
    expect((await listKeys({ userID: 'self' }, user.key)).items).toHaveLength(1)
  })
})

describe('key validity', () => {
  it('records lastUsed (and the user’s lastSeenAt) after a use', async () => {
    const user = await newUser()
    const key = await createKey({ userID: user.id })
    expect((await listKeys({ userID: user.id })).items[0]!.lastUsed).toBeUndefined()
    const used = Date.now()
    expect(await works(key.accessKey)).toBe(200)
    await eventually(async () => {
      const lastUsed = (await listKeys({ userID: user.id })).items[0]!.lastUsed
      expect(lastUsed).toBeDefined()
      expect(Date.parse(lastUsed!)).toBeGreaterThanOrEqual(used - 1000)
    })
    const seen = (await t.request('GET', `/api/users/${user.id}`)).body.lastSeenAt
    expect(Date.parse(seen)).toBeGreaterThanOrEqual(used - 1000)
  })

  it('rejects a key past its expiry, however recently used', async () => {
    const user = await newUser()
    const key = await createKey({ userID: user.id, expiry: '1s', inactivityTimeout: '10s' })
    expect(await works(key.accessKey)).toBe(200)
    await sleep(600)
    expect(await works(key.accessKey)).toBe(200)
    await sleep(600)
    expectError(await t.request('GET', '/api/users/self', { key: key.accessKey }), 401)
  })

  it('rejects a key not used within its extension window, before it expires', async () => {
    const user = await newUser()
    const key = await createKey({ userID: user.id, expiry: '10s', inactivityTimeout: '1s' })
    await sleep(1300)
    expectError(await t.request('GET', '/api/users/self', { key: key.accessKey }), 401)
    expect(Date.parse(key.expires)).toBeGreaterThan(Date.now())
  })

  it('slides the extension deadline with each use', async () => {
    const user = await newUser()
    const key = await createKey({ userID: user.id, expiry: '10s', inactivityTimeout: '2s' })
    const created = Date.parse(key.created)
    // Used every second, the key outlives its first deadline (2s after creation)...
    for (let use = 1; use <= 3; use++) {
      await sleep(created + use * 1000 - Date.now())
      expect(await works(key.accessKey)).toBe(200)
    }
    expect(Date.now()).toBeGreaterThan(Date.parse(key.inactivityTimeout))
    await eventually(async () => {
      const listed = (await listKeys({ userID: user.id })).items[0]!
      expect(Date.parse(listed.inactivityTimeout)).toBeGreaterThan(Date.parse(key.inactivityTimeout))
      expect(Date.parse(listed.inactivityTimeout)).toBeLessThanOrEqual(Date.parse(key.expires))
    })
    // ...and left alone for longer than the window, it stops working though it has not expired.
    await sleep(2500)
    expectError(await t.request('GET', '/api/users/self', { key: key.accessKey }), 401)
    expect(Date.parse(key.expires)).toBeGreaterThan(Date.now())
  })
})

describe('POST /api/login with an access key', () => {
  it('returns a new key that never outlives the presented one', async () => {
    const user = await newUser()
    const longLived = await createKey({ userID: user.id })
    const session = await t.request('POST', '/api/login', {
      key: null,
      body: { accessKey: longLived.accessKey },
    })
    const body = expectConforms('login', session)
    expect(body).toMatchObject({ userID: user.id, name: user.name })
    expect(body.accessKey).toMatch(ACCESS_KEY_PATTERN)
    expect(body.accessKey).not.toBe(longLived.accessKey)
    // A session lasts 12h by default, well inside the presented key's 720h.
    expect(Date.parse(body.expires)).toBeLessThanOrEqual(Date.now() + 12 * HOUR + 1000)

    const shortLived = await createKey({ userID: user.id, expiry: '2s' })
    const exchanged = expectConforms(
      'login',
      await t.request('POST', '/api/login', { key: null, body: { accessKey: shortLived.accessKey } }),
    )
    expect(Date.parse(exchanged.expires)).toBeLessThanOrEqual(Date.parse(shortLived.expires))
    expect(await works(exchanged.accessKey)).toBe(200)
    await sleep(Date.parse(shortLived.expires) - Date.now() + 200)
    expectError(await t.request('GET', '/api/users/self', { key: exchanged.accessKey }), 401)
    expectError(
      await t.request('POST', '/api/login', { key: null, body: { accessKey: shortLived.accessKey } }),
      401,
    )
  })

  it('rejects a revoked key', async () => {
    const user = await newUser()
    const key = await createKey({ userID: user.id })
    expect((await t.request('DELETE', `/api/access-keys/${key.id}`)).status).toBe(204)
    expectError(await t.request('POST', '/api/login', { key: null, body: { accessKey: key.accessKey } }), 401)
  })
})

describe('DELETE /api/access-keys/{id}', () => {
  it('revokes the key at once', async () => {
    const user = await t.userWithRole('none')
    const spare = await createKey({ userID: 'self' }, user.key)
    expect(await works(spare.accessKey)).toBe(200)
    expect((await t.request('DELETE', `/api/access-keys/${spare.id}`, { key: user.key })).status).toBe(204)
    expectError(await t.request('GET', '/api/users/self', { key: spare.accessKey }), 401)
    expect((await listKeys({ userID: user.id, showExpired: true })).items.map((key) => key.id)).not.toContain(
      spare.id,
    )
  })

  it('lets only admins revoke other users’ keys', async () => {
    const user = await t.userWithRole('view')
    const other = await newUser()
    const theirs = await createKey({ userID: other.id })
    expectError(await t.request('DELETE', `/api/access-keys/${theirs.id}`, { key: user.key }), 403)
    expect(await works(theirs.accessKey)).toBe(200)
    expect((await t.request('DELETE', `/api/access-keys/${theirs.id}`)).status).toBe(204)
  })
})
