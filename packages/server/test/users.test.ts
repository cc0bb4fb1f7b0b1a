import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { newId } from '../src/db/ids.js'
import { startTestServer, uniqueName, type TestServer } from './harness.js'
import { expectConforms, expectError, idsOf, type Page } from './helpers.js'

let t: TestServer

beforeAll(async () => {
  t = await startTestServer()
})

afterAll(() => t.close())

async function newUser(name = uniqueName('user')) {
  return expectConforms<{ id: string; name: string; oneTimePassword: string }>(
    'createUser',
    await t.request('POST', '/api/users', { body: { name } }),
  )
}

async function newGroup(userIds: string[] = []) {
  const group = await t.request<{ id: string }>('POST', '/api/groups', {
    body: { name: uniqueName('group') },
  })
  expect(group.status).toBe(201)
  const members = await t.request('PATCH', `/api/groups/${group.body.id}/users`, {
    body: { usersToAdd: userIds },
  })
  expect(members.status).toBe(204)
  return group.body.id
}

const listUsers = async (query: Record<string, string | string[] | number | boolean>) =>
  expectConforms<Page<{ id: string; name: string }>>(
    'listUsers',
    await t.request('GET', '/api/users', { query }),
  )

describe('POST /api/users', () => {
  it('creates a user and returns a one-time password', async () => {
    const name = `${uniqueName('bob')}@example.com`
    const created = await newUser(name)
    expect(created.name).toBe(name)
    expect(created.oneTimePassword.length).toBeGreaterThanOrEqual(8)
    const fetched = expectConforms('getUser', await t.request('GET', `/api/users/${created.id}`))
    expect(fetched).toMatchObject({ id: created.id, name, providerNames: ['infra'] })
    expect(fetched.lastSeenAt).toBeUndefined()
  })

  it('rejects names with whitespace or control characters, and empty names', async () => {
    for (const name of ['two words', 'tab\there', '', '   ', 'x'.repeat(257)]) {
      const response = await t.request('POST', '/api/users', { body: { name } })
      expectError(response, 400)
    }
  })
})

describe('GET /api/users/{id}', () => {
  it('answers for self', async () => {
    const self = expectConforms('getUser', await t.request('GET', '/api/users/self'))
    expect(self.name).toBe('admin')
  })

  it('lets a user without a role read only themselves', async () => {
    const user = await t.userWithRole('none')
    const other = await newUser()
    expect((await t.request('GET', '/api/users/self', { key: user.key })).body.id).toBe(user.id)
    expect((await t.request('GET', `/api/users/${user.id}`, { key: user.key })).status).toBe(200)
    expectError(await t.request('GET', `/api/users/${other.id}`, { key: user.key }), 403)
  })
})

describe('GET /api/users filters', () => {
  let alice: { id: string; name: string }
  let bob: { id: string; name: string }
  let carol: { id: string; name: string }
  let team: string
  let system: { id: string; name: string }

  beforeAll(async () => {
    alice = await newUser(uniqueName('alice'))
    bob = await newUser(uniqueName('bob'))
    carol = await newUser(uniqueName('carol'))
    team = await newGroup([alice.id, bob.id])
    // Internal identities are made at startup (bootstrap), never through the API.
    system = await t.server.ctx.db.user.create({
      data: { id: newId(), name: uniqueName('connector'), system: true },
      select: { id: true, name: true },
    })
  })

  it('filters by exact name', async () => {
    const page = await listUsers({ name: alice.name })
    expect(idsOf(page.items)).toEqual([alice.id])
    expect(page).toMatchObject({ totalCount: 1, count: 1, totalPages: 1, page: 1, limit: 100 })
    expect((await listUsers({ name: alice.name.slice(0, -1) })).items).toEqual([])
  })

  it('filters by group', async () => {
    expect(idsOf((await listUsers({ group: team })).items).sort()).toEqual([alice.id, bob.id].sort())
    expect((await listUsers({ group: await newGroup() })).items).toEqual([])
  })

  it('filters by a single id and by repeated ids', async () => {
    expect(idsOf((await listUsers({ ids: carol.id })).items)).toEqual([carol.id])
    expect(idsOf((await listUsers({ ids: [alice.id, carol.id] })).items).sort()).toEqual(
      [alice.id, carol.id].sort(),
    )
    expect(idsOf((await listUsers({ ids: [alice.id, 'zzzzzzzzzzz'] })).items)).toEqual([alice.id])
  })

  it('combines filters', async () => {
    expect(idsOf((await listUsers({ group: team, ids: [alice.id, carol.id] })).items)).toEqual([alice.id])
    expect((await listUsers({ group: team, name: carol.name })).items).toEqual([])
  })

  it('hides system users unless showSystem is set', async () => {
    expect(idsOf((await listUsers({ limit: 1000 })).items)).not.toContain(system.id)
    expect(idsOf((await listUsers({ name: system.name })).items)).toEqual([])
    expect(idsOf((await listUsers({ name: system.name, showSystem: true })).items)).toEqual([system.id])
    expect(idsOf((await listUsers({ limit: 1000, showSystem: 'true' })).items)).toContain(system.id)
    expect(idsOf((await listUsers({ name: system.name, showSystem: 'false' })).items)).toEqual([])
  })

  it('counts what matches, not what the page shows', async () => {
    const all = await listUsers({ showSystem: true })
    const visible = await listUsers({})
    // This test's system user, and the connector user every server has.
    expect(all.totalCount).toBe(visible.totalCount + 2)
    const firstOfTwo = await listUsers({ ids: [alice.id, bob.id], limit: 1 })
    expect(firstOfTwo).toMatchObject({ totalCount: 2, count: 1, totalPages: 2, limit: 1 })
  })
})

describe('DELETE /api/users/{id}', () => {
  it('removes the user with their grants, group memberships and access keys', async () => {
    const user = await t.userWithRole('view')
    const group = await newGroup([user.id])
    const grant = await t.request<{ id: string }>('POST', '/api/grants', {
      body: { user: user.id, privilege: 'edit', resource: 'prod.web' },
    })
    expect(grant.status).toBe(201)
    const keys = await t.request<Page<{ id: string }>>('GET', '/api/access-keys', {
      query: { userID: user.id },
    })
    expect(keys.body.count).toBe(1)
    expect((await t.request('GET', '/api/users/self', { key: user.key })).status).toBe(200)

    expect((await t.request('DELETE', `/api/users/${user.id}`)).status).toBe(204)

    expectError(await t.request('GET', `/api/users/${user.id}`), 404)
    expectError(await t.request('GET', '/api/users/self', { key: user.key }), 401)
    expectError(await t.request('GET', `/api/grants/${grant.body.id}`), 404)
    expect(
      (await t.request('GET', '/api/grants', { query: { user: user.id, showSystem: true } })).body.items,
    ).toEqual([])
    expect((await t.request('GET', `/api/groups/${group}`)).body.totalUsers).toBe(0)
    expect((await t.request('GET', '/api/users', { query: { group } })).body.items).toEqual([])
    const after = await t.request('GET', '/api/access-keys', {
      query: { userID: user.id, showExpired: true },
    })
    expect(after.body.items).toEqual([])
    expectError(await t.request('DELETE', `/api/users/${user.id}`), 404)
  })

  it('frees the name for a new user', async () => {
    const user = await newUser()
    expect((await t.request('DELETE', `/api/users/${user.id}`)).status).toBe(204)
    const again = await newUser(user.name)
    expect(again.id).not.toBe(user.id)
  })

  it('is admin only', async () => {
    const viewer = await t.userWithRole('view')
    const victim = await newUser()
    expectError(await t.request('DELETE', `/api/users/${victim.id}`, { key: viewer.key }), 403)
    expectError(await t.request('DELETE', '/api/users/self', { key: viewer.key }), 403)
  })
})
