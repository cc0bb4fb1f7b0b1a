import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startTestServer, uniqueName, type TestServer } from './harness.js'
import { expectError, type Page } from './helpers.js'

// Each test leaves exactly one admin grant on infra: the bootstrap admin's own.
let t: TestServer
let admin: { id: string; name: string }

beforeAll(async () => {
  t = await startTestServer()
  admin = (await t.request('GET', '/api/users/self')).body
})

afterAll(() => t.close())

const adminGrants = async (key?: string) =>
  (
    await t.request<Page<{ id: string; user?: string; group?: string }>>('GET', '/api/grants', {
      key,
      query: { resource: 'infra', privilege: 'admin' },
    })
  ).body.items

async function theOnlyAdminGrant() {
  const grants = await adminGrants()
  expect(grants).toHaveLength(1)
  expect(grants[0]!.user).toBe(admin.id)
  return grants[0]!
}

describe('the last admin grant on infra', () => {
  it('cannot be deleted', async () => {
    const only = await theOnlyAdminGrant()
    expectError(await t.request('DELETE', `/api/grants/${only.id}`), 409)
    await theOnlyAdminGrant()
  })

  it('cannot be removed with PATCH, by id or by name', async () => {
    for (const subject of [{ user: admin.id }, { user: 'self' }, { userName: 'admin' }]) {
      const patch = await t.request('PATCH', '/api/grants', {
        body: { grantsToRemove: [{ ...subject, privilege: 'admin', resource: 'infra' }] },
      })
      expectError(patch, 409)
    }
    await theOnlyAdminGrant()
  })

  it('cannot go with its user', async () => {
    expectError(await t.request('DELETE', `/api/users/${admin.id}`), 409)
    expectError(await t.request('DELETE', '/api/users/self'), 409)
    await theOnlyAdminGrant()
    expect((await t.request('GET', '/api/users/self')).status).toBe(200)
  })

  it('cannot go with the group holding it', async () => {
    const group = await t.request<{ id: string; name: string }>('POST', '/api/groups', {
      body: { name: uniqueName('admins') },
    })
    await t.request('PATCH', `/api/groups/${group.body.id}/users`, { body: { usersToAdd: [admin.id] } })
    const groupGrant = await t.request<{ id: string }>('POST', '/api/grants', {
      body: { group: group.body.id, privilege: 'admin', resource: 'infra' },
    })
    expect(groupGrant.status).toBe(201)
    const direct = (await adminGrants()).find((grant) => grant.user === admin.id)!
    // With the group's grant in place, the admin's own grant may go: the admin stays admin through the group.
    expect((await t.request('DELETE', `/api/grants/${direct.id}`)).status).toBe(204)
    expect((await t.request('GET', '/api/users')).status).toBe(200)

    expectError(await t.request('DELETE', `/api/groups/${group.body.id}`), 409)
    expectError(await t.request('DELETE', `/api/grants/${groupGrant.body.id}`), 409)
    expectError(
      await t.request('PATCH', '/api/grants', {
        body: { grantsToRemove: [{ groupName: group.body.name, privilege: 'admin', resource: 'infra' }] },
      }),
      409,
    )
    expect((await adminGrants()).map((grant) => grant.id)).toEqual([groupGrant.body.id])

    // Swap back in one PATCH: adding the new admin grant and removing the last old one together is fine.
    const swap = await t.request('PATCH', '/api/grants', {
      body: {
        grantsToAdd: [{ user: admin.id, privilege: 'admin', resource: 'infra' }],
        grantsToRemove: [{ group: group.body.id, privilege: 'admin', resource: 'infra' }],
      },
    })
    expect(swap.status).toBe(204)
    expect((await t.request('DELETE', `/api/groups/${group.body.id}`)).status).toBe(204)
    await theOnlyAdminGrant()
  })

  it('survives removing every admin grant at once', async () => {
    const other = await t.userWithRole('admin')
    const patch = await t.request('PATCH', '/api/grants', {
      body: {
        grantsToRemove: [
          { user: admin.id, privilege: 'admin', resource: 'infra' },
          { user: other.id, privilege: 'admin', resource: 'infra' },
        ],
      },
    })
    expectError(patch, 409)
    expect(await adminGrants()).toHaveLength(2)
    expect((await t.request('DELETE', `/api/users/${other.id}`)).status).toBe(204)
    await theOnlyAdminGrant()
  })

  /** Two new admins become the only ones: the bootstrap admin's grant goes (with one of them acting). */
  async function twoAdminsOnly() {
    const first = await t.userWithRole('admin')
    const second = await t.userWithRole('admin')
    const own = (await adminGrants()).find((grant) => grant.user === admin.id)!
    expect((await t.request('DELETE', `/api/grants/${own.id}`, { key: first.key })).status).toBe(204)
    const grants = await adminGrants(first.key)
    expect(grants.map((grant) => grant.user).sort()).toEqual([first.id, second.id].sort())
    const grantOf = (user: { id: string }) => grants.find((grant) => grant.user === user.id)!.id
    return { first, second, grantOf }
  }

  /** Hands the admin grant back to the bootstrap admin and removes the two. */
  async function restore(survivor: { key: string }, users: { id: string }[]) {
    const back = await t.request('POST', '/api/grants', {
      key: survivor.key,
      body: { user: admin.id, privilege: 'admin', resource: 'infra' },
    })
    expect(back.status).toBe(201)
    for (const user of users)
      expect([204, 404]).toContain((await t.request('DELETE', `/api/users/${user.id}`)).status)
    await theOnlyAdminGrant()
  }

  /**
   * One side wins; the other learns of the conflict (409), or, coming in late, already sees itself demoted (403)
   * or, when it was deleted, finds its key gone with its user (401).
   */
  function expectOneWinner(statuses: number[], late = [403]) {
    expect(statuses.filter((status) => status === 204)).toHaveLength(1)
    expect([409, ...late]).toContain(statuses.find((status) => status !== 204))
  }

  it('survives two last admins removing each other’s grant at once: exactly one wins', async () => {
    for (let round = 0; round < 3; round++) {
      const { first, second, grantOf } = await twoAdminsOnly()
      const statuses = (
        await Promise.all([
          t.request('DELETE', `/api/grants/${grantOf(second)}`, { key: first.key }),
          t.request('DELETE', `/api/grants/${grantOf(first)}`, { key: second.key }),
        ])
      ).map((response) => response.status)
      expectOneWinner(statuses)
      const survivor = statuses[0] === 204 ? first : second
      expect(await adminGrants(survivor.key)).toHaveLength(1)
      await restore(survivor, [first, second])
    }
  })

  it('survives two last admins deleting each other at once: exactly one wins', async () => {
    for (let round = 0; round < 3; round++) {
      const { first, second } = await twoAdminsOnly()
      const statuses = (
        await Promise.all([
          t.request('DELETE', `/api/users/${second.id}`, { key: first.key }),
          t.request('DELETE', `/api/users/${first.id}`, { key: second.key }),
        ])
      ).map((response) => response.status)
      expectOneWinner(statuses, [403, 401])
      const survivor = statuses[0] === 204 ? first : second
      expect(await adminGrants(survivor.key)).toHaveLength(1)
      await restore(survivor, [first, second])
    }
  })
})
