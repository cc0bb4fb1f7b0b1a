import { API_VERSION } from '@infra/api-types'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startTestServer, uniqueName, type TestServer } from './harness.js'
import { expectConforms, expectError, expectFieldErrors, idsOf, sleep, type Page } from './helpers.js'

const CONNECTED_WINDOW_MS = 1500

let t: TestServer

beforeAll(async () => {
  t = await startTestServer({ settings: { destinationConnectedWindowMs: CONNECTED_WINDOW_MS } })
})

afterAll(() => t.close())

interface Destination {
  id: string
  name: string
  uniqueID: string
  kind: string
  version: string
  connection: { url: string; ca: string }
  resources: string[]
  roles: string[]
  connected: boolean
  lastSeen?: string
  created: string
  updated: string
}

const CA =
  '-----BEGIN CERTIFICATE-----\nMIIDNTCCAh2gAwIBAgIRALRetnpcTo9O3V2fAK3ix+c\n-----END CERTIFICATE-----\n'

async function newDestination(overrides: Record<string, unknown> = {}, key?: string) {
  return expectConforms<Destination>(
    'createDestination',
    await t.request('POST', '/api/destinations', {
      key,
      body: { name: uniqueName('cluster'), uniqueID: uniqueName('uid'), ...overrides },
    }),
  )
}

const listDestinations = async (query: Record<string, string | number>) =>
  expectConforms<Page<Destination>>(
    'listDestinations',
    await t.request('GET', '/api/destinations', { query }),
  )

describe('destinations', () => {
  it('registers a destination with its connection, resources and roles', async () => {
    const before = Date.now()
    const destination = await newDestination({
      version: '0.17.0',
      connection: { url: 'aa60e.us-west-2.elb.amazonaws.com:443', ca: CA },
      resources: ['default', 'kube-system'],
      roles: ['cluster-admin', 'admin', 'edit', 'view'],
    })
    expect(destination).toMatchObject({
      kind: 'kubernetes',
      version: '0.17.0',
      connection: { url: 'aa60e.us-west-2.elb.amazonaws.com:443', ca: CA },
      resources: ['default', 'kube-system'],
      roles: ['cluster-admin', 'admin', 'edit', 'view'],
      connected: true,
    })
    expect(Date.parse(destination.lastSeen!)).toBeGreaterThanOrEqual(before - 1000)
    expect(
      expectConforms('getDestination', await t.request('GET', `/api/destinations/${destination.id}`)),
    ).toEqual(destination)
  })

  it('fills defaults', async () => {
    const destination = await newDestination()
    expect(destination).toMatchObject({
      kind: 'kubernetes',
      version: '',
      connection: { url: '', ca: '' },
      resources: [],
      roles: [],
    })
  })

  it('shows a destination as disconnected once its connector is silent, and connected again when it reports', async () => {
    const destination = await newDestination()
    expect(destination.connected).toBe(true)
    await sleep(CONNECTED_WINDOW_MS + 300)
    const silent = (await t.request<Destination>('GET', `/api/destinations/${destination.id}`)).body
    expect(silent.connected).toBe(false)
    expect(silent.lastSeen).toBe(destination.lastSeen)
    expect((await listDestinations({ name: destination.name })).items[0]!.connected).toBe(false)

    const connector = await t.userWithRole('connector')
    const reported = await t.request<Destination>('PUT', `/api/destinations/${destination.id}`, {
      key: connector.key,
      body: { name: destination.name, uniqueID: destination.uniqueID, resources: ['default'] },
    })
    expect(expectConforms('updateDestination', reported)).toMatchObject({
      connected: true,
      resources: ['default'],
    })
    expect(Date.parse(reported.body.lastSeen!)).toBeGreaterThan(Date.parse(destination.lastSeen!))
  })

  it('filters by name, kind and unique_id', async () => {
    const shared = uniqueName('shared-uid')
    const a = await newDestination({ uniqueID: shared })
    const b = await newDestination({ uniqueID: shared })
    expect(idsOf((await listDestinations({ name: a.name })).items)).toEqual([a.id])
    expect(idsOf((await listDestinations({ unique_id: shared })).items).sort()).toEqual([a.id, b.id].sort())
    expect(idsOf((await listDestinations({ unique_id: shared, name: b.name })).items)).toEqual([b.id])
    expect((await listDestinations({ unique_id: shared, kind: 'ssh' })).items).toEqual([])
    expect((await listDestinations({ unique_id: shared, kind: 'kubernetes' })).totalCount).toBe(2)
    expect((await listDestinations({ name: uniqueName('nowhere') })).items).toEqual([])
  })

  it.each([
    ['infra', 'is reserved'],
    ['has.dot', 'dot'],
    ['has space', 'space'],
    ['', 'empty'],
    ['x'.repeat(254), 'too long'],
  ])('rejects the name %p (%s)', async (name) => {
    expectFieldErrors(await t.request('POST', '/api/destinations', { body: { name, uniqueID: 'u' } }), [
      'name',
    ])
  })

  it('rejects unknown kinds', async () => {
    expectFieldErrors(
      await t.request('POST', '/api/destinations', {
        body: { name: uniqueName('d'), uniqueID: 'u', kind: 'ssh' },
      }),
      ['kind'],
    )
  })

  it('answers 409 when renamed onto another destination’s name', async () => {
    const a = await newDestination()
    const b = await newDestination()
    expectError(
      await t.request('PUT', `/api/destinations/${b.id}`, { body: { name: a.name, uniqueID: b.uniqueID } }),
      409,
    )
    expect((await t.request('GET', `/api/destinations/${b.id}`)).body.name).toBe(b.name)
    // Keeping one's own name is no conflict.
    expect(
      (await t.request('PUT', `/api/destinations/${b.id}`, { body: { name: b.name, uniqueID: 'new-uid' } }))
        .body.uniqueID,
    ).toBe('new-uid')
  })

  it('deletes', async () => {
    const destination = await newDestination()
    expect((await t.request('DELETE', `/api/destinations/${destination.id}`)).status).toBe(204)
    expectError(await t.request('GET', `/api/destinations/${destination.id}`), 404)
    expectError(await t.request('DELETE', `/api/destinations/${destination.id}`), 404)
  })

  it('lets connectors register but not delete, and anyone with a key read', async () => {
    const connector = await t.userWithRole('connector')
    const plain = await t.userWithRole('none')
    const registered = await newDestination({}, connector.key)
    expectError(await t.request('DELETE', `/api/destinations/${registered.id}`, { key: connector.key }), 403)
    expectError(
      await t.request('POST', '/api/destinations', { key: plain.key, body: { name: 'x', uniqueID: 'u' } }),
      403,
    )
    expect((await t.request('GET', `/api/destinations/${registered.id}`, { key: plain.key })).status).toBe(
      200,
    )
  })
})

interface Provider {
  id: string
  name: string
  url: string
  clientID: string
  kind: string
  authURL: string
  scopes: string[]
}

const SECRET = 'client-secret-that-must-never-come-back'

async function newProvider(overrides: Record<string, unknown> = {}) {
  return expectConforms<Provider>(
    'createProvider',
    await t.request('POST', '/api/providers', {
      body: {
        name: uniqueName('okta'),
        url: 'example.okta.com',
        clientID: '0oapn0qwiQPiMIyR35d6',
        clientSecret: SECRET,
        ...overrides,
      },
    }),
  )
}

/** Providers are public: no key, but the version header like any /api route. */
const publicGet = async (path: string, query: Record<string, string> = {}) => {
  const url = new URL(path, t.url)
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value)
  const response = await fetch(url, { headers: { 'Infra-Version': API_VERSION } })
  const text = await response.text()
  return { status: response.status, body: JSON.parse(text), headers: response.headers, text }
}

describe('providers', () => {
  it('creates a provider and never returns its client secret', async () => {
    const created = await newProvider({ scopes: ['openid', 'email'] })
    expect(created).toMatchObject({
      kind: 'oidc',
      url: 'https://example.okta.com',
      clientID: '0oapn0qwiQPiMIyR35d6',
      scopes: ['openid', 'email'],
    })
    expect(created).not.toHaveProperty('clientSecret')
    const listed = await publicGet('/api/providers', { name: created.name })
    const got = await publicGet(`/api/providers/${created.id}`)
    const adminList = await t.request('GET', '/api/providers', { query: { limit: 1000 } })
    for (const text of [listed.text, got.text, JSON.stringify(adminList.body), JSON.stringify(created)]) {
      expect(text).not.toContain(SECRET)
      expect(text).not.toContain('clientSecret')
    }
  })

  it('keeps the client secret only encrypted under the root key', async () => {
    const created = await newProvider()
    const stored = await t.server.ctx.db.provider.findUniqueOrThrow({ where: { id: created.id } })
    expect(stored.clientSecret).not.toContain(SECRET)
    expect(t.server.ctx.secrets.decrypt(Buffer.from(stored.clientSecret, 'base64'))).toBe(SECRET)
  })

  it('is readable without a key', async () => {
    const created = await newProvider({ kind: 'google', url: 'https://accounts.google.com/' })
    const listed = await publicGet('/api/providers', { name: created.name })
    expect(listed.status).toBe(200)
    expect(idsOf(listed.body.items)).toEqual([created.id])
    const got = await publicGet(`/api/providers/${created.id}`)
    expect(got.body).toMatchObject({ id: created.id, kind: 'google', url: 'https://accounts.google.com' })
    expect(got.body.scopes).toEqual(['openid', 'email', 'profile', 'groups'])
  })

  it('filters by name', async () => {
    const a = await newProvider()
    await newProvider()
    expect(idsOf((await t.request('GET', '/api/providers', { query: { name: a.name } })).body.items)).toEqual(
      [a.id],
    )
    expect((await t.request('GET', '/api/providers', { query: { name: 'no-such' } })).body.totalCount).toBe(0)
  })

  it('validates names and kinds', async () => {
    expectFieldErrors(
      await t.request('POST', '/api/providers', {
        body: { name: 'has space', url: 'x', clientID: 'c', clientSecret: 's', kind: 'saml' },
      }),
      ['name', 'kind'],
    )
  })

  it('is changed by admins only, and deletes', async () => {
    const viewer = await t.userWithRole('view')
    const created = await newProvider()
    expectError(await t.request('DELETE', `/api/providers/${created.id}`, { key: viewer.key }), 403)
    expectError(
      await t.request('POST', '/api/providers', {
        key: viewer.key,
        body: { name: uniqueName('p'), url: 'x', clientID: 'c', clientSecret: 's' },
      }),
      403,
    )
    expect((await t.request('DELETE', `/api/providers/${created.id}`)).status).toBe(204)
    expect((await publicGet(`/api/providers/${created.id}`)).status).toBe(404)
    expectError(await t.request('DELETE', `/api/providers/${created.id}`), 404)
  })
})
