import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startTestServer, uniqueName, type ApiResponse, type TestServer } from './harness.js'
import { expectError } from './helpers.js'

const RACERS = 10

let t: TestServer

beforeAll(async () => {
  t = await startTestServer()
})

afterAll(() => t.close())

/** Fires the same request RACERS times at once. */
const race = (method: string, path: string, body: unknown) =>
  Promise.all(Array.from({ length: RACERS }, () => t.request(method, path, { body })))

/** Exactly one 201; every other racer a documented 409. */
function expectOneCreated(responses: ApiResponse[]) {
  const statuses = responses.map((response) => response.status)
  expect(statuses.filter((status) => status === 201)).toHaveLength(1)
  for (const response of responses.filter((r) => r.status !== 201)) expectError(response, 409)
  return responses.find((response) => response.status === 201)!.body as { id: string }
}

describe('identical creations racing', () => {
  it('users: one is created, the rest conflict', async () => {
    for (let round = 0; round < 3; round++) {
      const name = uniqueName('racer')
      const winner = expectOneCreated(await race('POST', '/api/users', { name }))
      const listed = await t.request('GET', '/api/users', { query: { name } })
      expect(listed.body.items.map((user: { id: string }) => user.id)).toEqual([winner.id])
    }
  })

  it('groups: one is created, the rest conflict', async () => {
    for (let round = 0; round < 3; round++) {
      const name = uniqueName('racers')
      const winner = expectOneCreated(await race('POST', '/api/groups', { name }))
      expect((await t.request('GET', '/api/groups', { query: { name } })).body.items).toEqual([
        expect.objectContaining({ id: winner.id }),
      ])
    }
  })

  it('destinations: one is created, the rest conflict', async () => {
    for (let round = 0; round < 3; round++) {
      const name = uniqueName('cluster')
      const winner = expectOneCreated(await race('POST', '/api/destinations', { name, uniqueID: 'same' }))
      expect((await t.request('GET', '/api/destinations', { query: { name } })).body.items).toEqual([
        expect.objectContaining({ id: winner.id }),
      ])
    }
  })

  it('providers: one is created, the rest conflict', async () => {
    const name = uniqueName('idp')
    expectOneCreated(
      await race('POST', '/api/providers', {
        name,
        url: 'idp.example.com',
        clientID: 'c',
        clientSecret: 's',
      }),
    )
  })

  it('access keys with one name: one is created, the rest conflict', async () => {
    expectOneCreated(await race('POST', '/api/access-keys', { userID: 'self', name: uniqueName('key') }))
  })

  it('grants: one is created, the rest get the same grant with wasCreated false', async () => {
    for (let round = 0; round < 3; round++) {
      const user = (await t.request('POST', '/api/users', { body: { name: uniqueName('grantee') } })).body.id
      const responses = await race('POST', '/api/grants', {
        user,
        privilege: 'view',
        resource: uniqueName('res'),
      })
      const created = responses.filter((response) => response.status === 201)
      expect(created).toHaveLength(1)
      expect(created[0]!.body.wasCreated).toBe(true)
      for (const response of responses.filter((r) => r.status !== 201)) {
        expect(response.status).toBe(200)
        expect(response.body).toMatchObject({ id: created[0]!.body.id, wasCreated: false })
      }
      expect((await t.request('GET', '/api/grants', { query: { user } })).body.totalCount).toBe(1)
    }
  })

  it('group grants: one is created, the rest get the same grant', async () => {
    const group = (await t.request('POST', '/api/groups', { body: { name: uniqueName('g') } })).body.id
    const responses = await race('POST', '/api/grants', { group, privilege: 'edit', resource: 'shared.web' })
    expect(responses.map((response) => response.status).sort()).toEqual([...Array(RACERS - 1).fill(200), 201])
    expect(new Set(responses.map((response) => response.body.id)).size).toBe(1)
  })

  it('PATCH of the same grants: all succeed, one grant each', async () => {
    const user = (await t.request('POST', '/api/users', { body: { name: uniqueName('patched') } })).body.id
    const dest = uniqueName('patched')
    const responses = await race('PATCH', '/api/grants', {
      grantsToAdd: [
        { user, privilege: 'view', resource: dest },
        { user, privilege: 'edit', resource: `${dest}.web` },
      ],
    })
    expect(responses.map((response) => response.status)).toEqual(Array(RACERS).fill(204))
    expect((await t.request('GET', '/api/grants', { query: { user } })).body.totalCount).toBe(2)
  })

  it('group membership changes: all succeed', async () => {
    const group = (await t.request('POST', '/api/groups', { body: { name: uniqueName('g') } })).body.id
    const user = (await t.request('POST', '/api/users', { body: { name: uniqueName('member') } })).body.id
    const responses = await race('PATCH', `/api/groups/${group}/users`, { usersToAdd: [user] })
    expect(responses.map((response) => response.status)).toEqual(Array(RACERS).fill(204))
    expect((await t.request('GET', `/api/groups/${group}`)).body.totalUsers).toBe(1)
  })
})

describe('deletions racing', () => {
  it('the same user deleted ten times: one 204, the rest 404', async () => {
    const user = (await t.request('POST', '/api/users', { body: { name: uniqueName('doomed') } })).body.id
    const responses = await Promise.all(
      Array.from({ length: RACERS }, () => t.request('DELETE', `/api/users/${user}`)),
    )
    expect(responses.filter((response) => response.status === 204)).toHaveLength(1)
    for (const response of responses.filter((r) => r.status !== 204)) expectError(response, 404)
  })

  it('a user deleted while being granted and added to a group: never a 500', async () => {
    for (let round = 0; round < 5; round++) {
      const user = (await t.request('POST', '/api/users', { body: { name: uniqueName('moving') } })).body.id
      const group = (await t.request('POST', '/api/groups', { body: { name: uniqueName('g') } })).body.id
      const responses = await Promise.all([
        t.request('POST', '/api/grants', { body: { user, privilege: 'view', resource: 'x' } }),
        t.request('PATCH', `/api/groups/${group}/users`, { body: { usersToAdd: [user] } }),
        t.request('POST', '/api/access-keys', { body: { userID: user } }),
        t.request('DELETE', `/api/users/${user}`),
      ])
      for (const response of responses) expect(response.status).toBeLessThan(500)
      expect(responses[3].status).toBe(204)
      expect((await t.request('GET', '/api/grants', { query: { user } })).body.items).toEqual([])
      expect((await t.request('GET', `/api/groups/${group}`)).body.totalUsers).toBe(0)
    }
  })
})
