import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startTestServer, uniqueName, type TestServer } from './harness.js'
import { expectConforms, expectError, expectFieldErrors, idsOf, type Page } from './helpers.js'

let t: TestServer

beforeAll(async () => {
  t = await startTestServer()
})

afterAll(() => t.close())

interface Grant {
  id: string
  user?: string
  group?: string
  privilege: string
  resource: string
  createdBy: string
  wasCreated?: boolean
}

async function newUser() {
  const response = await t.request<{ id: string; name: string }>('POST', '/api/users', {
    body: { name: uniqueName('user') },
  })
  expect(response.status).toBe(201)
  return response.body
}

async function newGroup(members: string[] = []) {
  const response = await t.request<{ id: string; name: string }>('POST', '/api/groups', {
    body: { name: uniqueName('group') },
  })
  expect(response.status).toBe(201)
  expect(
    (await t.request('PATCH', `/api/groups/${response.body.id}/users`, { body: { usersToAdd: members } }))
      .status,
  ).toBe(204)
  return response.body
}

async function grant(body: Record<string, string>, key?: string): Promise<Grant> {
  const response = await t.request<Grant>('POST', '/api/grants', { body, key })
  expect(response.status).toBe(201)
  return expectConforms('createGrant', response)
}

const listGrants = async (query: Record<string, string | number | boolean>, key?: string) =>
  expectConforms<Page<Grant>>('listGrants', await t.request('GET', '/api/grants', { query, key }))

const sorted = (ids: string[]) => [...ids].sort()

describe('POST /api/grants', () => {
  it('creates a grant and is idempotent for an identical one', async () => {
    const user = await newUser()
    const self = (await t.request('GET', '/api/users/self')).body.id
    const first = await t.request<Grant>('POST', '/api/grants', {
      body: { user: user.id, privilege: 'view', resource: 'production' },
    })
    expect(first.status).toBe(201)
    expect(first.body).toMatchObject({
      user: user.id,
      privilege: 'view',
      resource: 'production',
      createdBy: self,
      wasCreated: true,
    })
    expect(first.body.group).toBeUndefined()

    const again = await t.request<Grant>('POST', '/api/grants', {
      body: { user: user.id, privilege: 'view', resource: 'production' },
    })
    expect(again.status).toBe(200)
    expect(again.body).toMatchObject({ id: first.body.id, wasCreated: false })
    // Naming the subject differently is still the same grant.
    const byName = await t.request<Grant>('POST', '/api/grants', {
      body: { userName: user.name, privilege: 'view', resource: 'production' },
    })
    expect(byName.status).toBe(200)
    expect(byName.body).toMatchObject({ id: first.body.id, wasCreated: false })

    const got = expectConforms('getGrant', await t.request('GET', `/api/grants/${first.body.id}`))
    expect(got).toMatchObject({ id: first.body.id, user: user.id })
    expect(got.wasCreated).toBeUndefined()
  })

  it('grants to groups by id and by name, and to self', async () => {
    const group = await newGroup()
    expect(await grant({ group: group.id, privilege: 'edit', resource: 'staging' })).toMatchObject({
      group: group.id,
    })
    expect(await grant({ groupName: group.name, privilege: 'view', resource: 'staging' })).toMatchObject({
      group: group.id,
    })
    const self = (await t.request('GET', '/api/users/self')).body.id
    expect(await grant({ user: 'self', privilege: 'logs', resource: 'staging.web' })).toMatchObject({
      user: self,
    })
  })

  it('answers 404 for a subject that does not exist', async () => {
    expectError(
      await t.request('POST', '/api/grants', {
        body: { user: 'zzzzzzzzzzz', privilege: 'view', resource: 'a' },
      }),
      404,
    )
    expectError(
      await t.request('POST', '/api/grants', {
        body: { groupName: 'no-such', privilege: 'view', resource: 'a' },
      }),
      404,
    )
    expectError(
      await t.request('POST', '/api/grants', {
        body: { userName: uniqueName('nobody'), privilege: 'view', resource: 'a' },
      }),
      404,
    )
  })

  it('requires exactly one subject', async () => {
    const user = await newUser()
    expectFieldErrors(
      await t.request('POST', '/api/grants', { body: { privilege: 'view', resource: 'a' } }),
      ['user'],
    )
    expectFieldErrors(
      await t.request('POST', '/api/grants', {
        body: { user: user.id, userName: user.name, privilege: 'view', resource: 'a' },
      }),
      ['user'],
    )
  })

  it.each([
    ['a destination with a space', 'my cluster'],
    ['a destination with a slash', 'a/b'],
    ['an empty resource', ''],
    ['an empty namespace', 'prod.'],
    ['an uppercase namespace', 'prod.Web'],
    ['a namespace with an underscore', 'prod.my_ns'],
    ['a nested namespace', 'prod.a.b'],
    ['a namespace of infra', 'infra.default'],
    ['a leading dot', '.prod'],
    ['a 64-character namespace', `prod.${'a'.repeat(64)}`],
  ])('rejects %s as a resource', async (_what, resource) => {
    const user = await newUser()
    expectFieldErrors(
      await t.request('POST', '/api/grants', { body: { user: user.id, privilege: 'view', resource } }),
      ['resource'],
    )
  })

  it('accepts destination names with letters, digits, "-" and "_", and DNS-label namespaces', async () => {
    const user = await newUser()
    for (const resource of ['Prod_01-east', 'prod_01.kube-system', `p.${'a'.repeat(63)}`]) {
      await grant({ user: user.id, privilege: 'view', resource })
    }
  })

  it('reserves infra for the roles admin, view and connector', async () => {
    const user = await newUser()
    for (const privilege of ['edit', 'cluster-admin', 'Admin']) {
      expectFieldErrors(
        await t.request('POST', '/api/grants', { body: { user: user.id, privilege, resource: 'infra' } }),
        ['privilege'],
      )
    }
    for (const privilege of ['admin', 'view', 'connector']) {
      await grant({ user: user.id, privilege, resource: 'infra' })
    }
  })

  it('rejects malformed privileges', async () => {
    const user = await newUser()
    for (const privilege of ['', 'two words', '-leading', 'x'.repeat(254)]) {
      expectFieldErrors(
        await t.request('POST', '/api/grants', { body: { user: user.id, privilege, resource: 'a' } }),
        ['privilege'],
      )
    }
  })
})

describe('GET /api/grants filters', () => {
  let alice: { id: string; name: string }
  let bob: { id: string; name: string }
  let team: { id: string; name: string }
  let connector: { id: string }
  const g = {} as Record<string, Grant>
  const dest = uniqueName('dest').replace(/-/g, '_')

  beforeAll(async () => {
    alice = await newUser()
    bob = await newUser()
    team = await newGroup([alice.id])
    connector = await newUser()
    g.aliceDest = await grant({ user: alice.id, privilege: 'view', resource: dest })
    g.aliceNs = await grant({ user: alice.id, privilege: 'edit', resource: `${dest}.web` })
    g.bobNs = await grant({ user: bob.id, privilege: 'view', resource: `${dest}.db` })
    g.teamNs = await grant({ group: team.id, privilege: 'admin', resource: `${dest}.web` })
    // Names that merely start like the destination belong to other destinations.
    g.aliceOther = await grant({ user: alice.id, privilege: 'view', resource: `${dest}2` })
    g.bobOther = await grant({ user: bob.id, privilege: 'view', resource: `${dest}-x.web` })
    g.connector = await grant({ user: connector.id, privilege: 'connector', resource: 'infra' })
    g.connectorDest = await grant({ user: connector.id, privilege: 'connector', resource: dest })
  })

  it('filters by user', async () => {
    expect(sorted(idsOf((await listGrants({ user: alice.id })).items))).toEqual(
      sorted([g.aliceDest!.id, g.aliceNs!.id, g.aliceOther!.id]),
    )
  })

  it('filters by user=self', async () => {
    const aliceKey = await t.request<{ accessKey: string }>('POST', '/api/access-keys', {
      body: { userID: alice.id },
    })
    const own = await listGrants({ user: 'self' }, aliceKey.body.accessKey)
    expect(sorted(idsOf(own.items))).toEqual(sorted([g.aliceDest!.id, g.aliceNs!.id, g.aliceOther!.id]))
    // Without a role, no user filter still means only one's own grants.
    expect(sorted(idsOf((await listGrants({}, aliceKey.body.accessKey)).items))).toEqual(
      sorted(idsOf(own.items)),
    )
    expectError(
      await t.request('GET', '/api/grants', { key: aliceKey.body.accessKey, query: { user: bob.id } }),
      403,
    )
  })

  it('includes grants inherited through groups with showInherited', async () => {
    const inherited = await listGrants({ user: alice.id, showInherited: true })
    expect(sorted(idsOf(inherited.items))).toEqual(
      sorted([g.aliceDest!.id, g.aliceNs!.id, g.aliceOther!.id, g.teamNs!.id]),
    )
    expect(idsOf((await listGrants({ user: bob.id, showInherited: true })).items).sort()).toEqual(
      sorted([g.bobNs!.id, g.bobOther!.id]),
    )
    expect(idsOf((await listGrants({ user: alice.id, showInherited: false })).items)).not.toContain(
      g.teamNs!.id,
    )
  })

  it('filters by group', async () => {
    expect(idsOf((await listGrants({ group: team.id })).items)).toEqual([g.teamNs!.id])
  })

  it('filters by resource, exactly', async () => {
    expect(sorted(idsOf((await listGrants({ resource: `${dest}.web` })).items))).toEqual(
      sorted([g.aliceNs!.id, g.teamNs!.id]),
    )
    expect(sorted(idsOf((await listGrants({ resource: dest })).items))).toEqual(
      sorted([g.aliceDest!.id, g.connectorDest!.id]),
    )
  })

  it('filters by destination: the destination itself and all its namespaces', async () => {
    expect(sorted(idsOf((await listGrants({ destination: dest })).items))).toEqual(
      sorted([g.aliceDest!.id, g.aliceNs!.id, g.bobNs!.id, g.teamNs!.id, g.connectorDest!.id]),
    )
    expect(idsOf((await listGrants({ destination: `${dest}-x` })).items)).toEqual([g.bobOther!.id])
    expect((await listGrants({ destination: `${dest}.web` })).items).toEqual([])
  })

  it('filters by privilege', async () => {
    expect(sorted(idsOf((await listGrants({ destination: dest, privilege: 'view' })).items))).toEqual(
      sorted([g.aliceDest!.id, g.bobNs!.id]),
    )
  })

  it('combines filters', async () => {
    expect(idsOf((await listGrants({ user: alice.id, destination: dest, privilege: 'edit' })).items)).toEqual(
      [g.aliceNs!.id],
    )
    expect(
      idsOf(
        (
          await listGrants({
            user: alice.id,
            showInherited: true,
            resource: `${dest}.web`,
            privilege: 'admin',
          })
        ).items,
      ),
    ).toEqual([g.teamNs!.id])
  })

  it('hides connector grants on infra unless showSystem is set', async () => {
    expect(idsOf((await listGrants({ user: connector.id })).items)).toEqual([g.connectorDest!.id])
    expect(sorted(idsOf((await listGrants({ user: connector.id, showSystem: true })).items))).toEqual(
      sorted([g.connector!.id, g.connectorDest!.id]),
    )
    expect(idsOf((await listGrants({ resource: 'infra', privilege: 'connector' })).items)).toEqual([])
    expect(idsOf((await listGrants({ resource: 'infra', limit: 1000 })).items)).not.toContain(g.connector!.id)
    expect(idsOf((await listGrants({ resource: 'infra', showSystem: true, limit: 1000 })).items)).toContain(
      g.connector!.id,
    )
    // Other infra grants are not system grants.
    const admins = await listGrants({ resource: 'infra', privilege: 'admin' })
    expect(admins.totalCount).toBeGreaterThanOrEqual(1)
  })

  it('lets a group member list the group’s grants but not another group’s', async () => {
    const aliceKey = await t.request<{ accessKey: string }>('POST', '/api/access-keys', {
      body: { userID: alice.id },
    })
    expect(idsOf((await listGrants({ group: team.id }, aliceKey.body.accessKey)).items)).toEqual([
      g.teamNs!.id,
    ])
    const other = await newGroup()
    expectError(
      await t.request('GET', '/api/grants', { key: aliceKey.body.accessKey, query: { group: other.id } }),
      403,
    )
    expect(
      (await t.request('GET', `/api/grants/${g.teamNs!.id}`, { key: aliceKey.body.accessKey })).status,
    ).toBe(200)
    expectError(await t.request('GET', `/api/grants/${g.bobNs!.id}`, { key: aliceKey.body.accessKey }), 403)
  })
})

describe('PATCH /api/grants', () => {
  it('adds and removes by id and by name', async () => {
    const user = await newUser()
    const group = await newGroup()
    const dest = uniqueName('patch')
    const patch = await t.request('PATCH', '/api/grants', {
      body: {
        grantsToAdd: [
          { user: user.id, privilege: 'view', resource: dest },
          { userName: user.name, privilege: 'edit', resource: `${dest}.web` },
          { group: group.id, privilege: 'view', resource: `${dest}.db` },
          { groupName: group.name, privilege: 'logs', resource: dest },
        ],
      },
    })
    expectConforms('patchGrants', patch)
    expect((await listGrants({ destination: dest })).totalCount).toBe(4)

    const removal = await t.request('PATCH', '/api/grants', {
      body: {
        grantsToRemove: [
          { userName: user.name, privilege: 'view', resource: dest },
          { group: group.id, privilege: 'view', resource: `${dest}.db` },
        ],
      },
    })
    expect(removal.status).toBe(204)
    const left = (await listGrants({ destination: dest })).items
    expect(left.map((grant) => `${grant.privilege}@${grant.resource}`).sort()).toEqual(
      [`edit@${dest}.web`, `logs@${dest}`].sort(),
    )
  })

  it('is idempotent for grants that already exist and removals of grants that do not', async () => {
    const user = await newUser()
    const dest = uniqueName('idem')
    const existing = await grant({ user: user.id, privilege: 'view', resource: dest })
    const patch = await t.request('PATCH', '/api/grants', {
      body: {
        grantsToAdd: [
          { user: user.id, privilege: 'view', resource: dest },
          { user: user.id, privilege: 'view', resource: dest },
        ],
        grantsToRemove: [{ user: user.id, privilege: 'edit', resource: dest }],
      },
    })
    expect(patch.status).toBe(204)
    expect(idsOf((await listGrants({ destination: dest })).items)).toEqual([existing.id])
  })

  it('applies nothing when an entry names a subject that does not exist', async () => {
    const user = await newUser()
    const dest = uniqueName('atomic')
    const kept = await grant({ user: user.id, privilege: 'view', resource: dest })
    const patch = await t.request('PATCH', '/api/grants', {
      body: {
        grantsToAdd: [
          { user: user.id, privilege: 'edit', resource: dest },
          { userName: uniqueName('ghost'), privilege: 'edit', resource: dest },
        ],
        grantsToRemove: [{ user: user.id, privilege: 'view', resource: dest }],
      },
    })
    expectError(patch, 404)
    expect(idsOf((await listGrants({ destination: dest })).items)).toEqual([kept.id])
  })

  it('applies nothing when an entry is invalid', async () => {
    const user = await newUser()
    const dest = uniqueName('invalid')
    const patch = await t.request('PATCH', '/api/grants', {
      body: {
        grantsToAdd: [
          { user: user.id, privilege: 'edit', resource: dest },
          { user: user.id, privilege: 'edit', resource: 'infra' },
        ],
      },
    })
    expectFieldErrors(patch, ['grantsToAdd.1.privilege'])
    expect((await listGrants({ destination: dest })).items).toEqual([])
  })

  it('accepts an empty patch', async () => {
    expect((await t.request('PATCH', '/api/grants', { body: {} })).status).toBe(204)
  })
})

describe('DELETE /api/grants/{id}', () => {
  it('removes the grant', async () => {
    const user = await newUser()
    const created = await grant({ user: user.id, privilege: 'view', resource: uniqueName('del') })
    expect((await t.request('DELETE', `/api/grants/${created.id}`)).status).toBe(204)
    expectError(await t.request('GET', `/api/grants/${created.id}`), 404)
    expectError(await t.request('DELETE', `/api/grants/${created.id}`), 404)
  })

  it('lets the grant be created afresh afterwards', async () => {
    const user = await newUser()
    const body = { user: user.id, privilege: 'view', resource: uniqueName('again') }
    const created = await grant(body)
    expect((await t.request('DELETE', `/api/grants/${created.id}`)).status).toBe(204)
    const again = await t.request<Grant>('POST', '/api/grants', { body })
    expect(again.status).toBe(201)
    expect(again.body.wasCreated).toBe(true)
  })
})

describe('a grant to an Infra role takes effect', () => {
  it('through a group', async () => {
    const user = await t.userWithRole('none')
    expectError(await t.request('GET', '/api/users', { key: user.key }), 403)
    const group = await newGroup([user.id])
    await grant({ group: group.id, privilege: 'view', resource: 'infra' })
    expect((await t.request('GET', '/api/users', { key: user.key })).status).toBe(200)
    expect(
      (await t.request('PATCH', `/api/groups/${group.id}/users`, { body: { usersToRemove: [user.id] } }))
        .status,
    ).toBe(204)
    expectError(await t.request('GET', '/api/users', { key: user.key }), 403)
  })
})
