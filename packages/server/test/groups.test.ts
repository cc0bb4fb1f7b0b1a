import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startTestServer, uniqueName, type TestServer } from './harness.js'
import { expectConforms, expectError, expectFieldErrors, idsOf, type Page } from './helpers.js'

let t: TestServer

beforeAll(async () => {
  t = await startTestServer()
})

afterAll(() => t.close())

interface Group {
  id: string
  name: string
  totalUsers: number
  created: string
  updated: string
}

async function newGroup(name = uniqueName('group')) {
  return expectConforms<Group>('createGroup', await t.request('POST', '/api/groups', { body: { name } }))
}

async function newUser() {
  const response = await t.request<{ id: string }>('POST', '/api/users', {
    body: { name: uniqueName('member') },
  })
  expect(response.status).toBe(201)
  return response.body.id
}

const members = (id: string, body: { usersToAdd?: string[]; usersToRemove?: string[] }) =>
  t.request('PATCH', `/api/groups/${id}/users`, { body })

const listGroups = async (query: Record<string, string | number>, key?: string) =>
  expectConforms<Page<Group>>('listGroups', await t.request('GET', '/api/groups', { query, key }))

describe('POST /api/groups', () => {
  it('creates an empty group', async () => {
    const name = uniqueName('Site Reliability')
    const group = await newGroup(name)
    expect(group).toMatchObject({ name, totalUsers: 0 })
    expect(expectConforms('getGroup', await t.request('GET', `/api/groups/${group.id}`))).toEqual(group)
  })

  it('rejects empty names and control characters', async () => {
    for (const name of ['', '   ', 'line\nbreak', 'x'.repeat(257)]) {
      expectFieldErrors(await t.request('POST', '/api/groups', { body: { name } }), ['name'])
    }
  })
})

describe('PATCH /api/groups/{id}/users', () => {
  it('adds and removes members, and totalUsers follows', async () => {
    const group = await newGroup()
    const [a, b, c] = [await newUser(), await newUser(), await newUser()]
    expect((await members(group.id, { usersToAdd: [a, b, c] })).status).toBe(204)
    expect((await t.request('GET', `/api/groups/${group.id}`)).body.totalUsers).toBe(3)
    // Adding again and removing a non-member change nothing.
    expect((await members(group.id, { usersToAdd: [a, a], usersToRemove: [await newUser()] })).status).toBe(
      204,
    )
    expect((await t.request('GET', `/api/groups/${group.id}`)).body.totalUsers).toBe(3)
    expect((await members(group.id, { usersToRemove: [b] })).status).toBe(204)
    const after = (await t.request<Group>('GET', `/api/groups/${group.id}`)).body
    expect(after.totalUsers).toBe(2)
    expect(Date.parse(after.updated)).toBeGreaterThanOrEqual(Date.parse(group.updated))
    expect(
      idsOf((await t.request('GET', '/api/users', { query: { group: group.id } })).body.items).sort(),
    ).toEqual([a, c].sort())
  })

  it('adds nobody when one of usersToAdd does not exist', async () => {
    const group = await newGroup()
    const a = await newUser()
    expectError(await members(group.id, { usersToAdd: [a, 'zzzzzzzzzzz'] }), 404)
    expect((await t.request('GET', `/api/groups/${group.id}`)).body.totalUsers).toBe(0)
  })

  it('rejects malformed user ids', async () => {
    const group = await newGroup()
    expectFieldErrors(await members(group.id, { usersToAdd: ['not an id'] }), ['usersToAdd.0'])
  })
})

describe('GET /api/groups', () => {
  let alice: string
  let bob: string
  let both: Group
  let onlyAlice: Group

  beforeAll(async () => {
    alice = await newUser()
    bob = await newUser()
    both = await newGroup()
    onlyAlice = await newGroup()
    await members(both.id, { usersToAdd: [alice, bob] })
    await members(onlyAlice.id, { usersToAdd: [alice] })
  })

  it('filters by exact name', async () => {
    const page = await listGroups({ name: both.name })
    expect(page.items).toEqual([{ ...both, totalUsers: 2, updated: expect.any(String) }])
    expect(page).toMatchObject({ count: 1, totalCount: 1, totalPages: 1 })
    expect((await listGroups({ name: both.name.toUpperCase() })).items).toEqual([])
  })

  it('filters by member', async () => {
    expect(idsOf((await listGroups({ userID: alice })).items).sort()).toEqual([both.id, onlyAlice.id].sort())
    expect(idsOf((await listGroups({ userID: bob })).items)).toEqual([both.id])
    expect((await listGroups({ userID: await newUser() })).items).toEqual([])
    expect(idsOf((await listGroups({ userID: alice, name: onlyAlice.name })).items)).toEqual([onlyAlice.id])
  })

  it('reports totalUsers in lists', async () => {
    const listed = (await listGroups({ userID: alice })).items
    expect(Object.fromEntries(listed.map((group) => [group.id, group.totalUsers]))).toEqual({
      [both.id]: 2,
      [onlyAlice.id]: 1,
    })
  })

  it('shows a user without a role only their own groups', async () => {
    const member = await t.userWithRole('none')
    const mine = await newGroup()
    await members(mine.id, { usersToAdd: [member.id] })
    expect(idsOf((await listGroups({}, member.key)).items)).toEqual([mine.id])
    expect(idsOf((await listGroups({ userID: member.id }, member.key)).items)).toEqual([mine.id])
    expectError(await t.request('GET', '/api/groups', { key: member.key, query: { userID: alice } }), 403)
    expect((await t.request('GET', `/api/groups/${mine.id}`, { key: member.key })).status).toBe(200)
    expectError(await t.request('GET', `/api/groups/${both.id}`, { key: member.key }), 403)
  })
})

describe('DELETE /api/groups/{id}', () => {
  it('removes the group, its memberships and its grants, but not its members', async () => {
    const group = await newGroup()
    const user = await newUser()
    await members(group.id, { usersToAdd: [user] })
    const grant = await t.request<{ id: string }>('POST', '/api/grants', {
      body: { group: group.id, privilege: 'view', resource: uniqueName('gone') },
    })
    expect(grant.status).toBe(201)
    expect((await t.request('DELETE', `/api/groups/${group.id}`)).status).toBe(204)
    expectError(await t.request('GET', `/api/groups/${group.id}`), 404)
    expectError(await t.request('GET', `/api/grants/${grant.body.id}`), 404)
    expect((await t.request('GET', `/api/users/${user}`)).status).toBe(200)
    expect((await listGroups({ userID: user })).items).toEqual([])
    expectError(await t.request('DELETE', `/api/groups/${group.id}`), 404)
    // The name is free again.
    expect((await t.request('POST', '/api/groups', { body: { name: group.name } })).status).toBe(201)
  })
})
