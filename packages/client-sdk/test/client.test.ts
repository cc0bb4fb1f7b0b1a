import { API_VERSION } from '@infra/api-types'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import {
  InfraApiError,
  InfraClient,
  InfraResponseValidationError,
  SDK_VERSION,
  type FetchFunction,
} from '../src/node.js'
import { startTestServer, uniqueName, type TestServer } from './harness.js'

let infra: TestServer
let admin: InfraClient

beforeAll(async () => {
  infra = await startTestServer()
  admin = infra.admin
})
afterAll(() => infra.close())

/** Runs `action` and returns what it threw, failing the test if it did not throw. */
async function thrown(action: () => PromiseLike<unknown>): Promise<unknown> {
  try {
    await action()
  } catch (error) {
    return error
  }
  throw new Error('expected an error')
}

async function apiError(action: () => PromiseLike<unknown>): Promise<InfraApiError> {
  const error = await thrown(action)
  expect(error).toBeInstanceOf(InfraApiError)
  return error as InfraApiError
}

describe('system', () => {
  it('reads the version and the JWKS', async () => {
    expect(await admin.version()).toEqual({ version: expect.any(String) })
    const jwks = await admin.jwks()
    expect(jwks.keys.length).toBeGreaterThan(0)
    expect(jwks.keys[0]).toEqual(
      expect.objectContaining({ kty: expect.any(String), kid: expect.any(String) }),
    )
  })

  it('reads public routes without an access key', async () => {
    const anonymous = infra.client({ accessKey: undefined })
    expect(await anonymous.version()).toEqual({ version: expect.any(String) })
    expect(await anonymous.providers.list()).toEqual(expect.objectContaining({ items: expect.any(Array) }))
  })

  it('sends the version, the key and a User-Agent naming the SDK and the caller', async () => {
    const seen: Headers[] = []
    const spy: FetchFunction = async (input, init) => {
      const request = new Request(input, init)
      seen.push(request.headers)
      return fetch(request)
    }
    const client = infra.client({ fetch: spy, userAgent: 'infra-cli/1.2.3' })
    await client.users.get('self')
    await client.users.list({ limit: 1 })
    expect(seen).toHaveLength(2)
    for (const headers of seen) {
      expect(headers.get('Infra-Version')).toBe(API_VERSION)
      expect(headers.get('Authorization')).toBe(`Bearer ${infra.adminKey}`)
      expect(headers.get('User-Agent')).toMatch(
        new RegExp(`^infra-cli/1\\.2\\.3 infra-client-sdk/${SDK_VERSION.replace(/\./g, '\\.')} node/`),
      )
    }
  })
})

describe('users', () => {
  it('creates, reads, lists, updates the password of and deletes a user', async () => {
    const name = uniqueName('user')
    const created = await admin.users.create({ name })
    expect(created).toEqual({ id: expect.any(String), name, oneTimePassword: expect.any(String) })

    const read = await admin.users.get(created.id)
    expect(read).toEqual(expect.objectContaining({ id: created.id, name, providerNames: ['infra'] }))

    const listed = await admin.users.list({ name })
    expect(listed.items.map((user) => user.id)).toEqual([created.id])
    expect(listed).toEqual(expect.objectContaining({ page: 1, totalCount: 1, totalPages: 1, count: 1 }))

    const updated = await admin.users.updatePassword(created.id, { password: 'a-new-password' })
    expect(updated.id).toBe(created.id)

    await admin.users.delete(created.id)
    expect((await apiError(() => admin.users.get(created.id))).isNotFound()).toBe(true)
  })

  it("reads the caller as 'self'", async () => {
    const user = await infra.userWithRole('none')
    expect(await user.client.users.get('self')).toEqual(
      expect.objectContaining({ id: user.id, name: user.name }),
    )
  })

  it('walks every page of a list', async () => {
    const prefix = uniqueName('paged')
    const ids = new Set<string>()
    for (let i = 0; i < 5; i++) ids.add((await admin.users.create({ name: `${prefix}-${i}` })).id)

    const all = await admin.users.listAll({ limit: 2 })
    expect(all.length).toBeGreaterThanOrEqual(6)
    expect(new Set(all.map((user) => user.id)).size).toBe(all.length)
    for (const id of ids) expect(all.map((user) => user.id)).toContain(id)

    const pages: number[] = []
    for await (const page of admin.users.iterate({ limit: 2 }).pages()) pages.push(page.page)
    expect(pages).toEqual(Array.from({ length: Math.ceil(all.length / 2) }, (_, i) => i + 1))

    const iterated: string[] = []
    for await (const user of admin.users.iterate({ limit: 2 })) iterated.push(user.id)
    expect(iterated).toEqual(all.map((user) => user.id))

    // Starting at a later page skips the earlier ones.
    const fromPage2 = await admin.users.iterate({ limit: 2, page: 2 })
    expect(fromPage2).toEqual(all.slice(2))
  })

  it('stops on an empty list', async () => {
    expect(await admin.users.listAll({ name: 'nobody-has-this-name' })).toEqual([])
  })
})

describe('groups', () => {
  it('creates, reads, lists, changes members of and deletes a group', async () => {
    const name = uniqueName('group')
    const group = await admin.groups.create({ name })
    expect(group).toEqual(expect.objectContaining({ name, totalUsers: 0 }))
    expect(await admin.groups.get(group.id)).toEqual(group)

    const alice = await admin.users.create({ name: uniqueName('alice') })
    const bob = await admin.users.create({ name: uniqueName('bob') })
    await admin.groups.updateUsers(group.id, { usersToAdd: [alice.id, bob.id] })
    expect((await admin.groups.get(group.id)).totalUsers).toBe(2)
    expect((await admin.users.listAll({ group: group.id })).map((user) => user.id).sort()).toEqual(
      [alice.id, bob.id].sort(),
    )
    await admin.groups.updateUsers(group.id, { usersToRemove: [bob.id] })
    expect((await admin.groups.get(group.id)).totalUsers).toBe(1)

    expect((await admin.groups.list({ name })).items).toEqual([expect.objectContaining({ id: group.id })])
    expect((await admin.groups.listAll({ userID: alice.id })).map((g) => g.id)).toEqual([group.id])

    await admin.groups.delete(group.id)
    expect((await apiError(() => admin.groups.get(group.id))).isNotFound()).toBe(true)
  })
})

describe('grants', () => {
  it('creates, reads, lists, patches and deletes grants', async () => {
    const user = await admin.users.create({ name: uniqueName('granted') })
    const created = await admin.grants.create({ user: user.id, privilege: 'view', resource: 'prod.web' })
    expect(created).toEqual(
      expect.objectContaining({ user: user.id, privilege: 'view', resource: 'prod.web', wasCreated: true }),
    )
    const again = await admin.grants.create({ user: user.id, privilege: 'view', resource: 'prod.web' })
    expect(again).toEqual(expect.objectContaining({ id: created.id, wasCreated: false }))

    const { wasCreated: _, ...grant } = created
    expect(await admin.grants.get(created.id)).toEqual(grant)
    expect((await admin.grants.list({ user: user.id })).items).toEqual([grant])

    await admin.grants.patch({
      grantsToAdd: [
        { user: user.id, privilege: 'edit', resource: 'prod' },
        { user: user.id, privilege: 'admin', resource: 'staging' },
      ],
      grantsToRemove: [{ user: user.id, privilege: 'view', resource: 'prod.web' }],
    })
    const after = await admin.grants.listAll({ user: user.id, limit: 1 })
    expect(after.map((g) => `${g.privilege}@${g.resource}`).sort()).toEqual(['admin@staging', 'edit@prod'])
    expect(
      (await admin.grants.listAll({ user: user.id, destination: 'prod' })).map((g) => g.resource),
    ).toEqual(['prod'])

    for (const g of after) await admin.grants.delete(g.id)
    expect(await admin.grants.listAll({ user: user.id })).toEqual([])
  })
})

describe('destinations', () => {
  it('creates, reads, updates, lists and deletes a destination', async () => {
    const name = uniqueName('cluster')
    const created = await admin.destinations.create({
      name,
      uniqueID: `uid-${name}`,
      connection: { url: 'cluster.example.com:443', ca: '' },
      resources: ['default'],
    })
    expect(created).toEqual(
      expect.objectContaining({
        name,
        kind: 'kubernetes',
        resources: ['default'],
        connected: expect.any(Boolean),
      }),
    )
    expect(await admin.destinations.get(created.id)).toEqual(
      expect.objectContaining({ id: created.id, name }),
    )

    const updated = await admin.destinations.update(created.id, {
      name,
      uniqueID: `uid-${name}`,
      version: '1.30.0',
      resources: ['default', 'web'],
      roles: ['view'],
    })
    expect(updated).toEqual(expect.objectContaining({ version: '1.30.0', resources: ['default', 'web'] }))

    expect((await admin.destinations.list({ name })).items.map((d) => d.id)).toEqual([created.id])
    expect((await admin.destinations.listAll({ unique_id: `uid-${name}` })).map((d) => d.id)).toEqual([
      created.id,
    ])

    await admin.destinations.delete(created.id)
    expect((await apiError(() => admin.destinations.get(created.id))).isNotFound()).toBe(true)
  })
})

describe('access keys', () => {
  it('creates, lists and deletes an access key', async () => {
    const user = await admin.users.create({ name: uniqueName('keyed') })
    const key = await admin.accessKeys.create({ userID: user.id, name: 'ci', expiry: '1h' })
    expect(key).toEqual(
      expect.objectContaining({ name: 'ci', issuedFor: user.id, accessKey: expect.any(String) }),
    )

    const listed = await admin.accessKeys.list({ userID: user.id })
    expect(listed.items.map((k) => k.id)).toEqual([key.id])
    expect(listed.items[0]).not.toHaveProperty('accessKey')
    expect((await admin.accessKeys.listAll({ userID: user.id, name: 'ci' })).map((k) => k.id)).toEqual([
      key.id,
    ])

    const holder = infra.client({ accessKey: key.accessKey })
    expect((await holder.users.get('self')).id).toBe(user.id)
    await admin.accessKeys.delete(key.id)
    expect((await apiError(() => holder.users.get('self'))).isUnauthorized()).toBe(true)
  })
})

describe('providers', () => {
  it('creates, reads, lists and deletes an identity provider', async () => {
    const name = uniqueName('okta').replace(/[^A-Za-z0-9_-]/g, '-')
    const provider = await admin.providers.create({
      name,
      url: 'example.okta.com',
      clientID: 'client-id',
      clientSecret: 'client-secret',
      kind: 'okta',
    })
    expect(provider).toEqual(
      expect.objectContaining({ name, kind: 'okta', url: 'https://example.okta.com', clientID: 'client-id' }),
    )
    expect(provider).not.toHaveProperty('clientSecret')
    expect(await admin.providers.get(provider.id)).toEqual(provider)
    expect((await admin.providers.list({ name })).items).toEqual([provider])
    expect(await admin.providers.listAll({ name })).toEqual([provider])
    await admin.providers.delete(provider.id)
    expect((await apiError(() => admin.providers.get(provider.id))).isNotFound()).toBe(true)
  })
})

describe('authentication', () => {
  it('logs in with an access key and with a password, then logs out', async () => {
    const session = await admin.login({ accessKey: infra.adminKey })
    expect(session).toEqual(expect.objectContaining({ name: 'admin', accessKey: expect.any(String) }))
    const sessionClient = admin.withAccessKey(session.accessKey)
    expect((await sessionClient.users.get('self')).name).toBe('admin')

    const name = uniqueName('person')
    const user = await admin.users.create({ name })
    await admin.users.updatePassword(user.id, { password: 'first-password' })
    const anonymous = infra.client({ accessKey: undefined })
    const oneTime = await anonymous.login({ passwordCredentials: { name, password: 'first-password' } })
    expect(oneTime.passwordUpdateRequired).toBe(true)

    const person = anonymous.withAccessKey(oneTime.accessKey)
    expect((await apiError(() => person.users.list())).isForbidden()).toBe(true)
    await person.users.updatePassword('self', { password: 'my-own-password' })
    const relogged = await anonymous.login({ passwordCredentials: { name, password: 'my-own-password' } })
    expect(relogged.passwordUpdateRequired).toBeUndefined()

    await sessionClient.logout()
    expect((await apiError(() => sessionClient.users.get('self'))).isUnauthorized()).toBe(true)
  })

  it('creates a token for kubectl at one destination', async () => {
    const token = await admin.createToken('production')
    expect(token).toEqual({ token: expect.stringMatching(/^ey/), expires: expect.any(String) })
    const payload = JSON.parse(Buffer.from(token.token.split('.')[1] ?? '', 'base64url').toString('utf8'))
    expect(payload.aud).toEqual(['infra', 'production'])
  })
})

describe('the generic route methods', () => {
  it('calls any route of the table by name', async () => {
    const self = await admin.call('getUser', { params: { id: 'self' } })
    expect(self.name).toBe('admin')
    expect(await admin.call('getVersion')).toEqual({ version: expect.any(String) })
    // A user who makes no requests, so no key-usage flush changes its row between the two reads.
    const name = uniqueName('listed')
    await admin.call('createUser', { body: { name } })
    const page = await admin.api.listUsers({ query: { name } })
    expect(page.items.map((user) => user.name)).toEqual([name])
    expect(await admin.paginate('listUsers', { name })).toEqual(page.items)
  })
})

describe('errors', () => {
  it('raises 400 with the field errors', async () => {
    const error = await apiError(() =>
      admin.grants.create({ user: 'self', privilege: 'view', resource: 'a.B!' }),
    )
    expect(error.isBadRequest()).toBe(true)
    expect(error.status).toBe(400)
    expect(error.code).toBe(400)
    expect(error.message).toMatch(/resource/)
    expect(error.errorsFor('resource')).toEqual([expect.stringMatching(/namespace/)])
    expect(error.url).toBe(`${infra.url}/api/grants`)
    expect(error.method).toBe('POST')
  })

  it('raises 401 for an unknown key', async () => {
    const stranger = infra.client({ accessKey: 'aaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbb' })
    const error = await apiError(() => stranger.users.get('self'))
    expect(error.isUnauthorized()).toBe(true)
    expect(error.status).toBe(401)
  })

  it('raises 403 for a caller without the role', async () => {
    const user = await infra.userWithRole('none')
    const error = await apiError(() => user.client.users.create({ name: uniqueName('nope') }))
    expect(error.isForbidden()).toBe(true)
    expect(error.message).toMatch(/admin/)
  })

  it('raises 404 for a missing resource', async () => {
    const error = await apiError(() => admin.groups.get('4yJ3n3D8E2'))
    expect(error.isNotFound()).toBe(true)
    expect(error.message).toBe('group not found')
  })

  it('raises 409 for a duplicate', async () => {
    const name = uniqueName('twice')
    await admin.users.create({ name })
    const error = await apiError(() => admin.users.create({ name }))
    expect(error.isConflict()).toBe(true)
    expect(error.message).toMatch(/already exists/)
  })
})

describe('response validation', () => {
  const answering =
    (body: string, status = 200): FetchFunction =>
    () =>
      Promise.resolve(new Response(body, { status, headers: { 'Content-Type': 'application/json' } }))

  it('rejects a body of the wrong shape with a clear error', async () => {
    const client = infra.client({ fetch: answering(JSON.stringify({ version: 17 })) })
    const error = await thrown(() => client.version())
    expect(error).toBeInstanceOf(InfraResponseValidationError)
    const invalid = error as InfraResponseValidationError
    expect(invalid.route).toBe('getVersion')
    expect(invalid.status).toBe(200)
    expect(invalid.body).toEqual({ version: 17 })
    expect(invalid.issues[0]?.path).toEqual(['version'])
    expect(invalid.message).toMatch(/getVersion.*version: /)
  })

  it('rejects a list whose items are not the documented ones', async () => {
    const page = {
      page: 1,
      limit: 1,
      totalPages: 1,
      totalCount: 1,
      count: 1,
      items: [{ id: 'x', name: 'n' }],
    }
    const client = infra.client({ fetch: answering(JSON.stringify(page)) })
    const error = await thrown(() => client.users.listAll())
    expect(error).toBeInstanceOf(InfraResponseValidationError)
    expect((error as InfraResponseValidationError).message).toMatch(/items\.0\./)
  })

  it('rejects a body that is not JSON, or is missing', async () => {
    const html = infra.client({ fetch: answering('<html>gateway</html>') })
    expect(await thrown(() => html.version())).toBeInstanceOf(InfraResponseValidationError)
    const empty = infra.client({ fetch: answering('') })
    expect(await thrown(() => empty.version())).toBeInstanceOf(InfraResponseValidationError)
  })

  it('reports an error page that is not Infra-shaped with its status', async () => {
    const client = infra.client({ fetch: answering('<html>Bad gateway</html>', 500), retry: 0 })
    const error = await apiError(() => client.version())
    expect(error.status).toBe(500)
    expect(error.code).toBe(500)
    expect(error.message).toMatch(/answered 500.*Bad gateway/)
  })
})

describe('configuration', () => {
  it('rejects TLS options together with a custom fetch', () => {
    expect(() => new InfraClient({ server: 'infra.example.com', fetch, skipTLSVerify: true })).toThrow(
      /either fetch or the TLS options/,
    )
  })

  it('names the server it talks to', () => {
    expect(new InfraClient({ server: 'infra.example.com:8443' }).serverUrl).toBe(
      'https://infra.example.com:8443',
    )
  })
})
