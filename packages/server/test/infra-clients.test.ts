import { API_VERSION } from '@infra/api-types'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { importJWK, jwtVerify, type JWK } from 'jose'
import { startTestServer, uniqueName, type TestServer } from './harness.js'
import { expectConforms, expectError, expectFieldErrors, type Page } from './helpers.js'

// Requests exactly as Infra's own Go CLI and connector (v0.17 to v0.21) send them: every field, empty or not.
let t: TestServer
beforeAll(async () => {
  t = await startTestServer()
})
afterAll(() => t.close())

describe('query strings of Infra clients', () => {
  it('reads empty values as absent and page=0, limit=0 as the defaults', async () => {
    const name = `${uniqueName('bob')}@example.com`
    await t.api('POST', '/api/users', { body: { name } })
    const page = expectConforms<Page<{ name: string }>>(
      'listUsers',
      await t.request(
        'GET',
        `/api/users?group=&limit=0&name=${encodeURIComponent(name)}&page=0&publicKeyFingerprint=&showSystem=false`,
      ),
    )
    expect(page).toMatchObject({ page: 1, limit: 100, count: 1, items: [{ name }] })
  })

  it('long-polls grants of a destination with every other filter empty', async () => {
    const destination = uniqueName('mycluster')
    const user = await t.userWithRole('none')
    await t.api('POST', '/api/grants', { body: { user: user.id, privilege: 'view', resource: destination } })
    const response = await t.request(
      'GET',
      `/api/grants?destination=${destination}&group=&lastUpdateIndex=1&limit=0&page=0&privilege=&resource=&showInherited=false&showSystem=false&user=`,
    )
    const page = expectConforms<Page<{ resource: string }>>('listGrants', response)
    expect(page.items.map((grant) => grant.resource)).toEqual([destination])
    expect(Number(response.headers.get('Last-Update-Index'))).toBeGreaterThan(1)
  })

  it('drops the empty members of a repeated parameter', async () => {
    const user = await t.userWithRole('none')
    const page = await t.api<Page<{ id: string }>>('GET', `/api/users?ids=${user.id}&ids=`)
    expect(page.items.map((item) => item.id)).toEqual([user.id])
  })

  it('still refuses real values out of range: limit over 1000, negative pages, words', async () => {
    for (const query of [
      'limit=1001',
      'page=-1',
      'limit=-1',
      'page=two',
      'showSystem=maybe',
      'group=not-base58!',
    ]) {
      expectError(await t.request('GET', `/api/users?${query}`), 400)
    }
    expect(await t.api<Page<unknown>>('GET', '/api/users?limit=1000')).toMatchObject({ limit: 1000 })
  })
})

describe('JSON bodies of Infra clients', () => {
  it('logs in with an access key beside null login methods', async () => {
    const user = await t.userWithRole('none')
    const response = await t.request<{ userID: string }>('POST', '/api/login', {
      key: null,
      body: { accessKey: user.key, passwordCredentials: null, oidc: null },
    })
    expect(response.status).toBe(201)
    expect(response.body.userID).toBe(user.id)
  })

  it('logs in with a password beside an empty access key', async () => {
    const name = uniqueName('pw')
    const { id } = await t.api<{ id: string }>('POST', '/api/users', { body: { name } })
    await t.api('PUT', `/api/users/${id}`, { body: { password: 'a-long-password' } })
    const response = await t.request('POST', '/api/login', {
      key: null,
      body: { accessKey: '', passwordCredentials: { name, password: 'a-long-password' }, oidc: null },
    })
    expect(response.status).toBe(201)
  })

  it('grants by userName with empty user, group and groupName', async () => {
    const user = await t.userWithRole('none')
    const response = await t.request<{ user: string }>('POST', '/api/grants', {
      body: { user: '', group: '', userName: user.name, groupName: '', privilege: 'view', resource: 'prod' },
    })
    expect(response.status).toBe(201)
    expect(response.body.user).toBe(user.id)
  })

  it('updates group members with usersToRemove null', async () => {
    const user = await t.userWithRole('none')
    const group = await t.api<{ id: string }>('POST', '/api/groups', { body: { name: uniqueName('g') } })
    const response = await t.request('PATCH', `/api/groups/${group.id}/users`, {
      body: { usersToAdd: [user.id], usersToRemove: null },
    })
    expect(response.status).toBe(204)
    expect(await t.api('GET', `/api/groups/${group.id}`)).toMatchObject({ totalUsers: 1 })
  })

  it('ignores keys the route does not know, at any depth', async () => {
    const provider = await t.request('POST', '/api/providers', {
      body: {
        name: uniqueName('okta'),
        url: 'https://example.okta.com',
        clientID: 'client',
        clientSecret: 'secret',
        kind: 'oidc',
        api: { privateKey: '', clientEmail: '', domainAdminEmail: '' },
      },
    })
    expect(provider.status).toBe(201)
    const grants = await t.request('PATCH', '/api/grants', {
      body: { grantsToAdd: [{ user: 'self', privilege: 'view', resource: 'a', note: 'x' }], extra: 1 },
    })
    expect(grants.status).toBe(204)
  })

  it('keeps required fields and real values as strict as before', async () => {
    expectFieldErrors(await t.request('POST', '/api/users', { body: { name: '' } }), ['name'])
    expectFieldErrors(await t.request('POST', '/api/users', { body: { name: null } }), ['name'])
    expectFieldErrors(
      await t.request('POST', '/api/grants', {
        body: { user: '', group: '', userName: '', groupName: '', privilege: 'view', resource: 'prod' },
      }),
      ['user'],
    )
    expectFieldErrors(
      await t.request('POST', '/api/login', {
        key: null,
        body: { accessKey: '', passwordCredentials: null, oidc: null },
      }),
      ['accessKey'],
    )
    expectFieldErrors(
      await t.request('POST', '/api/grants', { body: { user: 'self', privilege: 'view', resource: 'a b' } }),
      ['resource'],
    )
  })
})

describe('Infra-Version selects the field names of that version', () => {
  const as = (version: string) => ({ headers: { 'Infra-Version': version } })
  const HOUR = 3_600_000
  const lifetime = (key: { created: string; expires: string }) =>
    Date.parse(key.expires) - Date.parse(key.created)

  const OLD_NAMES = { lifetime: 'ttl', inactivity: 'extensionDeadline' }
  const NEW_NAMES = { lifetime: 'expiry', inactivity: 'inactivityTimeout' }
  it.each([
    ['0.16.2', OLD_NAMES, NEW_NAMES],
    ['0.17.0', OLD_NAMES, NEW_NAMES],
    ['0.18.0', OLD_NAMES, NEW_NAMES],
    ['0.18.1', NEW_NAMES, OLD_NAMES],
    ['0.21.0', NEW_NAMES, OLD_NAMES],
    [API_VERSION, NEW_NAMES, OLD_NAMES],
  ])('gives %s clients the access key fields %p', async (version, names, others) => {
    const user = await t.userWithRole('none')
    const created = await t.request<Record<string, string>>('POST', '/api/access-keys', {
      ...as(version),
      body: { userID: user.id, name: '', [names.lifetime]: '2h0m0s', [names.inactivity]: '30m0s' },
    })
    expect(created.status).toBe(201)
    expect(Math.abs(lifetime(created.body as never) - 2 * HOUR)).toBeLessThan(5_000)
    const listed = await t.api<Page<Record<string, string>>>(
      'GET',
      `/api/access-keys?userID=${user.id}`,
      as(version),
    )
    for (const key of [created.body, ...listed.items]) {
      expect(key).toHaveProperty(names.inactivity)
      expect(key).not.toHaveProperty(others.inactivity)
    }
  })

  it('reads the user_id and show_expired filters of 0.16.1 clients', async () => {
    const user = await t.userWithRole('none')
    const listed = await t.api<Page<{ issuedFor: string }>>(
      'GET',
      `/api/access-keys?user_id=${user.id}&show_expired=false&limit=0&page=0`,
      as('0.16.1'),
    )
    expect(listed.items.map((key) => key.issuedFor)).toEqual([user.id])
  })

  it.each([
    ['0.17.0', 'created_by'],
    ['0.18.0', 'created_by'],
    ['0.18.1', 'created_by'],
    ['0.21.0', 'createdBy'],
    [API_VERSION, 'createdBy'],
  ])('names the creator of a grant for %s clients %s', async (version, field) => {
    const other = field === 'createdBy' ? 'created_by' : 'createdBy'
    const destination = uniqueName('d')
    const user = await t.userWithRole('none')
    const created = await t.request<Record<string, unknown>>('POST', '/api/grants', {
      ...as(version),
      body: {
        user: user.id,
        group: '',
        userName: '',
        groupName: '',
        privilege: 'view',
        resource: destination,
      },
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ [field]: expect.any(String), wasCreated: true })
    expect(created.body).not.toHaveProperty(other)
    const id = created.body.id as string
    const fetched = await t.api<Record<string, unknown>>('GET', `/api/grants/${id}`, as(version))
    expect(fetched).toHaveProperty(field)
    expect(fetched).not.toHaveProperty(other)
    const listed = await t.request<Page<Record<string, unknown>>>(
      'GET',
      `/api/grants?destination=${destination}&lastUpdateIndex=1&limit=0&page=0&showSystem=false&user=`,
      as(version),
    )
    expect(listed.body.items).toEqual([expect.objectContaining({ id, [field]: expect.any(String) })])
    expect(listed.body.items[0]).not.toHaveProperty(other)
  })

  it('leaves routes without older names alike for every version', async () => {
    const user = await t.userWithRole('none')
    const current = await t.api('GET', `/api/users/${user.id}`)
    expect(await t.api('GET', `/api/users/${user.id}`, as('0.17.0'))).toEqual(current)
  })
})

describe("Infra's connector and its key", () => {
  const asClient = (key?: string) => ({
    headers: { 'Infra-Version': '0.18.1' },
    ...(key === undefined ? {} : { key }),
  })
  let connectorKey: string
  let connectorId: string

  beforeAll(async () => {
    // As `infra keys add --connector` of Infra's CLI: find the connector user, then create a key for it.
    const users = await t.api<Page<{ id: string; name: string }>>(
      'GET',
      '/api/users?group=&limit=0&name=connector&page=0&publicKeyFingerprint=&showSystem=true',
      asClient(),
    )
    expect(users.items.map((user) => user.name)).toEqual(['connector'])
    connectorId = users.items[0]!.id
    const key = await t.api<{ accessKey: string }>('POST', '/api/access-keys', {
      ...asClient(),
      body: { userID: connectorId, name: '', expiry: '8760h0m0s', inactivityTimeout: '720h0m0s' },
    })
    connectorKey = key.accessKey
  })

  it('has a connector user, hidden unless showSystem, that cannot be deleted', async () => {
    const hidden = await t.api<Page<unknown>>('GET', '/api/users?name=connector&showSystem=false&limit=0')
    expect(hidden.count).toBe(0)
    expectError(await t.request('DELETE', `/api/users/${connectorId}`), 400)
    const grants = await t.api<Page<{ privilege: string; resource: string }>>(
      'GET',
      `/api/grants?user=${connectorId}&showSystem=true`,
    )
    expect(grants.items.map((grant) => `${grant.privilege}@${grant.resource}`)).toEqual(['connector@infra'])
  })

  it('registers, heartbeats and is seen through Infra-Destination-Name', async () => {
    const name = uniqueName('cluster')
    const headers = { 'Infra-Version': '0.18.1', 'Infra-Destination-Name': name }
    const found = await t.api<Page<unknown>>(
      'GET',
      `/api/destinations?kind=&limit=0&name=${name}&page=0&unique_id=`,
      { key: connectorKey, headers },
    )
    expect(found.count).toBe(0)
    const connection = { url: '10.0.0.1:443', ca: '' }
    const created = await t.request<{ id: string }>('POST', '/api/destinations', {
      key: connectorKey,
      headers,
      body: {
        name,
        uniqueID: 'abc',
        kind: 'kubernetes',
        version: '0.21.0',
        connection,
        resources: [],
        roles: [],
      },
    })
    expect(created.status).toBe(201)
    const beat = await t.request('PUT', `/api/destinations/${created.body.id}`, {
      key: connectorKey,
      headers,
      body: { name, uniqueID: 'abc', version: '0.21.0', connection, resources: ['default'], roles: ['view'] },
    })
    expect(beat.status).toBe(200)

    const longAgo = new Date(Date.now() - 3_600_000)
    await t.server.ctx.db.destination.update({ where: { id: created.body.id }, data: { lastSeen: longAgo } })
    await t.api('GET', `/api/users/${connectorId}`, { key: connectorKey, headers })
    const seen = await t.server.ctx.db.destination.findUniqueOrThrow({ where: { id: created.body.id } })
    expect(seen.lastSeen!.getTime()).toBeGreaterThan(Date.now() - 60_000)
  })

  it('long-polls the grants of its destination and is woken by a new grant', async () => {
    const destination = uniqueName('cluster')
    const list = (index: number) =>
      t.request<Page<Record<string, unknown>>>(
        'GET',
        `/api/grants?destination=${destination}&group=&lastUpdateIndex=${index}&limit=0&page=0&privilege=&resource=&showInherited=false&showSystem=false&user=`,
        { key: connectorKey, headers: { 'Infra-Version': '0.18.1', 'Infra-Destination-Name': destination } },
      )
    const first = await list(0)
    expect(first.status).toBe(200)
    const waiting = list(Number(first.headers.get('Last-Update-Index')))
    const user = await t.userWithRole('none')
    await t.api('POST', '/api/grants', { body: { user: user.id, privilege: 'view', resource: destination } })
    const woken = await waiting
    expect(woken.status).toBe(200)
    expect(woken.body.items).toEqual([
      expect.objectContaining({ user: user.id, created_by: expect.any(String) }),
    ])
  })

  it('verifies tokens with the first key of /.well-known/jwks.json, as it does', async () => {
    const keySet = await t.api<{ keys: JWK[] }>('GET', '/.well-known/jwks.json', {
      key: connectorKey,
      headers: {},
    })
    const user = await t.userWithRole('none')
    // As Infra's CLI asks (no destination), and as this project's CLI asks: Infra's connector checks only the
    // signature, the expiry and the name, so it accepts both.
    for (const body of [{}, { destination: uniqueName('cluster') }]) {
      const { token } = await t.api<{ token: string }>('POST', '/api/tokens', { key: user.key, body })
      const { payload } = await jwtVerify(token, await importJWK(keySet.keys[0]!, 'EdDSA'))
      expect(payload).toMatchObject({ name: user.name })
    }
  })
})

describe('providers', () => {
  const provider = () => ({
    name: uniqueName('okta'),
    url: 'https://example.okta.com',
    clientID: 'client',
    clientSecret: 'secret',
    kind: 'oidc',
  })

  it('replaces a provider with PUT, as `infra providers edit` does, and patches one with PATCH', async () => {
    const created = await t.api<{ id: string }>('POST', '/api/providers', { body: provider() })
    const replacement = { ...provider(), clientID: 'other', api: { privateKey: '', clientEmail: '' } }
    const replaced = await t.request('PUT', `/api/providers/${created.id}`, { body: replacement })
    expect(replaced.status).toBe(200)
    expect(replaced.body).toMatchObject({ id: created.id, name: replacement.name, clientID: 'other' })
    const renamed = await t.api('PATCH', `/api/providers/${created.id}`, { body: { name: 'renamed-idp' } })
    expect(renamed).toMatchObject({ name: 'renamed-idp', clientID: 'other' })
    expectError(await t.request('PUT', '/api/providers/zzzzzzzzzzz', { body: provider() }), 404)
    expectFieldErrors(await t.request('PUT', `/api/providers/${created.id}`, { body: { name: 'x' } }), [
      'url',
      'clientID',
      'clientSecret',
    ])
  })
})

describe('fieldErrors', () => {
  it("are Infra's [{fieldName, errors}], which its CLI reads to re-prompt for a password", async () => {
    const response = await t.request('PUT', '/api/users/self', { body: { password: 'short' } })
    expect(response.status).toBe(400)
    expect(response.body).toEqual({
      code: 400,
      // Infra's CLI prints only the message, so it names what is wrong too.
      message: 'invalid body: password: must be at least 8 characters',
      fieldErrors: [{ fieldName: 'password', errors: ['must be at least 8 characters'] }],
    })
  })

  it('name nested fields by their path', async () => {
    const response = await t.request<{ fieldErrors: unknown }>('PATCH', '/api/grants', {
      body: { grantsToAdd: [{ user: 'self', privilege: 'view', resource: 'a b' }] },
    })
    expect(response.body.fieldErrors).toEqual([
      { fieldName: 'grantsToAdd.0.resource', errors: [expect.any(String)] },
    ])
  })
})
