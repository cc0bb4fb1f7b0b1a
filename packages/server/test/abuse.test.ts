import { createTestDatabase, type TestDatabase } from '@infra/test-harness'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { DEFAULT_SETTINGS } from '../src/context.js'
import { startTestServer, uniqueName, type TestServer } from './harness.js'

let database: TestDatabase
let a: TestServer
let b: TestServer
const LIMIT = 40

beforeAll(async () => {
  database = await createTestDatabase()
  const options = {
    rateLimitSyncMs: 50,
    settings: {
      rateLimitPerMinute: LIMIT,
      loginThrottle: { freeAttempts: 3, baseLockoutMs: 1_500, maxLockoutMs: 10_000 },
      maxLongPollsPerKey: 2,
      longPollTimeoutMs: 2_000,
    },
  }
  a = await startTestServer(options, database)
  b = await startTestServer({ ...options, adminAccessKey: a.adminKey }, database)
})

afterAll(async () => {
  await a.close()
  await b.close()
  await database.drop()
})

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('per-key rate limit', () => {
  it('is shared by two servers on one database and answers 429 with Retry-After', async () => {
    const user = await a.userWithRole('none')
    let accepted = 0
    // Alternate between the servers, letting them share counts, until one refuses.
    let refusal: Awaited<ReturnType<TestServer['request']>> | undefined
    for (let i = 0; i < LIMIT * 2 && !refusal; i++) {
      const response = await (i % 2 === 0 ? a : b).request('GET', '/api/users/self', { key: user.key })
      if (response.status === 429) refusal = response
      else accepted++
      if (i % 5 === 4) await pause(60)
    }
    expect(refusal).toBeDefined()
    // Each server alone would have allowed LIMIT; together they stop near LIMIT.
    expect(accepted).toBeLessThan(LIMIT + 10)
    expect(accepted).toBeGreaterThanOrEqual(LIMIT - 10)
    expect(refusal?.body).toMatchObject({ code: 429 })
    expect(Number(refusal?.headers.get('retry-after'))).toBeGreaterThan(0)
    // Another key is not affected.
    expect((await b.request('GET', '/api/users/self')).status).toBe(200)
  })
})

describe('login lockout', () => {
  it('locks a user name out exponentially after repeated failures, on every server', async () => {
    const name = uniqueName('victim')
    await a.request('POST', '/api/users', { body: { name } })
    await a.request(
      'PUT',
      `/api/users/${(await a.request<any>('GET', '/api/users', { query: { name } })).body.items[0].id}`,
      {
        body: { password: 'the-right-password' },
      },
    )
    const login = (t: TestServer, password: string) =>
      t.request('POST', '/api/login', { key: null, body: { passwordCredentials: { name, password } } })

    expect((await login(a, 'wrong-1')).status).toBe(401)
    expect((await login(b, 'wrong-2')).status).toBe(401)
    expect((await login(a, 'wrong-3')).status).toBe(401)
    // Locked now: even the right password is refused, on both servers.
    const locked = await login(b, 'the-right-password')
    expect(locked.status).toBe(429)
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect((await login(a, 'the-right-password')).status).toBe(429)

    await pause(1_600)
    expect((await login(a, 'wrong-4')).status).toBe(401)
    // The next lock is twice as long.
    const longer = await login(b, 'the-right-password')
    expect(longer.status).toBe(429)
    expect(Number(longer.headers.get('retry-after'))).toBeGreaterThanOrEqual(3)
  }, 20_000)

  it('keeps the default lockout meaningful', () => {
    expect(DEFAULT_SETTINGS.loginThrottle.freeAttempts).toBeLessThanOrEqual(10)
    expect(DEFAULT_SETTINGS.loginThrottle.baseLockoutMs).toBeGreaterThanOrEqual(10_000)
  })
})

describe('long polls per key', () => {
  it('caps how many may wait at once for one key', async () => {
    const user = await a.userWithRole('view')
    const first = await a.request('GET', '/api/destinations', {
      key: user.key,
      query: { lastUpdateIndex: 1 },
    })
    const index = first.headers.get('last-update-index') as string
    const waiting = [1, 2].map(() =>
      a.request('GET', '/api/destinations', { key: user.key, query: { lastUpdateIndex: index } }),
    )
    await pause(200)
    const third = await a.request('GET', '/api/destinations', {
      key: user.key,
      query: { lastUpdateIndex: index },
    })
    expect(third.status).toBe(429)
    expect((await Promise.all(waiting)).map((response) => response.status)).toEqual([304, 304])
  })
})

describe('request size', () => {
  it('refuses bodies over 1 MiB with 413 in the error format', async () => {
    const response = await a.request('POST', '/api/users', {
      rawBody: JSON.stringify({ name: 'x'.repeat(1_100_000) }),
    })
    expect(response.status).toBe(413)
    expect(response.body).toMatchObject({ code: 413 })
  })
})
