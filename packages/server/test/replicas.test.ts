import { createTestDatabase, type TestDatabase } from '@infra/test-harness'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startTestServer, uniqueName, type TestServer } from './harness.js'

let database: TestDatabase
let a: TestServer
let b: TestServer

beforeAll(async () => {
  database = await createTestDatabase()
  a = await startTestServer({}, database)
  b = await startTestServer({ adminAccessKey: a.adminKey }, database)
})

afterAll(async () => {
  await a.close()
  await b.close()
  await database.drop()
})

/** Polls until the expectation holds; replicas learn of changes through Postgres notifications. */
async function eventually(check: () => Promise<boolean>, withinMs = 1_000): Promise<number> {
  const started = Date.now()
  while (!(await check())) {
    if (Date.now() - started > withinMs) throw new Error(`not within ${withinMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return Date.now() - started
}

describe('two servers on one database', () => {
  it('stop accepting a key revoked through the other within a second', async () => {
    const user = await a.userWithRole('none')
    // Both servers have the key cached now.
    expect((await a.request('GET', '/api/users/self', { key: user.key })).status).toBe(200)
    expect((await b.request('GET', '/api/users/self', { key: user.key })).status).toBe(200)
    const keys = await a.request<any>('GET', '/api/access-keys', { query: { userID: user.id } })
    await a.request('DELETE', `/api/access-keys/${keys.body.items[0].id}`)
    expect((await a.request('GET', '/api/users/self', { key: user.key })).status).toBe(401)
    await eventually(
      async () => (await b.request('GET', '/api/users/self', { key: user.key })).status === 401,
    )
  })

  it('see a role granted or revoked through the other within a second', async () => {
    const user = await b.userWithRole('none')
    expect((await b.request('GET', '/api/users', { key: user.key })).status).toBe(403)
    const grant = await a.request<any>('POST', '/api/grants', {
      body: { user: user.id, privilege: 'view', resource: 'infra' },
    })
    await eventually(async () => (await b.request('GET', '/api/users', { key: user.key })).status === 200)
    await a.request('DELETE', `/api/grants/${grant.body.id}`)
    await eventually(async () => (await b.request('GET', '/api/users', { key: user.key })).status === 403)
  })

  it('see a role that arrives through group membership', async () => {
    const user = await b.userWithRole('none')
    const group = await a.request<any>('POST', '/api/groups', { body: { name: uniqueName('admins') } })
    await a.request('POST', '/api/grants', {
      body: { group: group.body.id, privilege: 'view', resource: 'infra' },
    })
    expect((await b.request('GET', '/api/users', { key: user.key })).status).toBe(403)
    await a.request('PATCH', `/api/groups/${group.body.id}/users`, { body: { usersToAdd: [user.id] } })
    await eventually(async () => (await b.request('GET', '/api/users', { key: user.key })).status === 200)
    await a.request('DELETE', `/api/groups/${group.body.id}`)
    await eventually(async () => (await b.request('GET', '/api/users', { key: user.key })).status === 403)
  })
})
