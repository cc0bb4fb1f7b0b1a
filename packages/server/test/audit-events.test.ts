// Every event the server records, each caused through its real API on a real Postgres and read back through the
// audit log's own list route: who, from where, about what, and only when the change really happened.
import type { AuditEventOf, AuditEventPage, AuditEventType } from '@infra/api-types'
import { randomAccessKey } from '@infra/test-harness'
import {
  authorizationCode,
  pkcePair,
  startOidcProvider,
  type TestIdentityProvider,
} from '@infra/test-harness/oidc'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startTestServer, uniqueName, type TestServer } from './harness.js'
import { eventually, expectConforms, expectError } from './helpers.js'

const REDIRECT = 'http://127.0.0.1:43210/callback'
const USER_AGENT = 'audit-events-test/1.0'

let t: TestServer
let idp: TestIdentityProvider
let admin: { id: string; name: string }

beforeAll(async () => {
  ;[t, idp] = await Promise.all([
    startTestServer({
      settings: {
        keyExpiryCheckMs: 100,
        providerSessionCheckMs: 200,
        loginThrottle: { freeAttempts: 3, baseLockoutMs: 60_000, maxLockoutMs: 60_000 },
      },
    }),
    startOidcProvider(),
  ])
  const self = await t.api<{ id: string; name: string }>('GET', '/api/users/self')
  admin = { id: self.id, name: self.name }
})

afterAll(async () => {
  await t?.close()
  await idp?.close()
})

/** Calls the API as `key` (the admin's by default) from a recognisable client. */
const call = <T = any>(method: string, path: string, options: { key?: string | null; body?: unknown } = {}) =>
  t.request<T>(method, path, { ...options, headers: { 'User-Agent': USER_AGENT } })

/** The stored events of `type` about `targetId` (or all of that type), oldest first. */
async function eventsOf<T extends AuditEventType>(type: T, targetId?: string): Promise<AuditEventOf<T>[]> {
  const page = expectConforms<AuditEventPage>(
    'listAuditEvents',
    await t.request('GET', '/api/audit/events', { query: { type, limit: 1000 } }),
  )
  return page.items.filter(
    (event): event is AuditEventOf<T> =>
      event.type === type && (targetId === undefined || event.target?.id === targetId),
  )
}

async function onlyEventOf<T extends AuditEventType>(type: T, targetId?: string): Promise<AuditEventOf<T>> {
  const events = await eventsOf(type, targetId)
  expect(events).toHaveLength(1)
  return events[0] as AuditEventOf<T>
}

/** What every event caused by the admin through `call` carries. */
const byAdmin = () => ({
  outcome: 'success',
  actor: { kind: 'user', id: admin.id, name: admin.name },
  sourceIp: '127.0.0.1',
  userAgent: USER_AGENT,
})

async function newUser() {
  const created = await call<{ id: string; name: string; oneTimePassword: string }>('POST', '/api/users', {
    body: { name: `${uniqueName('audited')}@example.com` },
  })
  expect(created.status).toBe(201)
  return created.body
}

const passwordLogin = (name: string, password: string) =>
  call<{ userID: string; accessKey: string }>('POST', '/api/login', {
    key: null,
    body: { passwordCredentials: { name, password } },
  })

describe('logins', () => {
  it('records password logins that succeed and fail, with why, and the lockout once', async () => {
    const user = await newUser()
    const ok = await passwordLogin(user.name, user.oneTimePassword)
    expect(ok.status).toBe(201)
    const logins = () => eventsOf('login')
    expect((await logins()).filter((event) => event.actor.id === user.id)).toEqual([
      expect.objectContaining({
        ...byAdmin(),
        actor: { kind: 'user', id: user.id, name: user.name },
        details: { method: 'password' },
      }),
    ])

    const stranger = uniqueName('nobody')
    expect((await passwordLogin(stranger, 'guess')).status).toBe(401)
    expect((await logins()).filter((event) => event.actor.name === stranger)).toEqual([
      expect.objectContaining({
        outcome: 'failure',
        reason: 'the user name or password is incorrect',
        actor: { kind: 'anonymous', name: stranger },
        sourceIp: '127.0.0.1',
        details: { method: 'password' },
      }),
    ])

    // Three wrong passwords lock the name; the attempt after that is refused without a look at the password.
    for (let attempt = 0; attempt < 3; attempt++)
      expect((await passwordLogin(user.name, 'wrong')).status).toBe(401)
    expect((await passwordLogin(user.name, user.oneTimePassword)).status).toBe(429)
    const failures = (await logins()).filter((e) => e.actor.name === user.name && e.outcome === 'failure')
    expect(failures.map((event) => event.reason)).toEqual([
      'the user name or password is incorrect',
      'the user name or password is incorrect',
      'the user name or password is incorrect',
      expect.stringMatching(/^too many failed logins for this user/),
    ])
    expect(failures[0]?.actor).toEqual({ kind: 'user', id: user.id, name: user.name })
    const lockouts = (await eventsOf('login.locked-out')).filter((event) => event.target?.id === user.id)
    expect(lockouts).toEqual([
      expect.objectContaining({
        outcome: 'success',
        target: { kind: 'user', id: user.id, name: user.name },
        details: { until: expect.any(String) },
      }),
    ])
  })

  it('records access key logins, and refused keys as anonymous', async () => {
    const user = await t.userWithRole('none')
    const ok = await call('POST', '/api/login', { key: null, body: { accessKey: user.key } })
    expect(ok.status).toBe(201)
    const refused = await call('POST', '/api/login', {
      key: null,
      body: { accessKey: randomAccessKey() },
    })
    expect(refused.status).toBe(401)
    const keyLogins = (await eventsOf('login')).filter((event) => event.details.method === 'key')
    expect(keyLogins.filter((event) => event.actor.id === user.id)).toEqual([
      expect.objectContaining({ outcome: 'success', details: { method: 'key' } }),
    ])
    expect(keyLogins.filter((event) => event.outcome === 'failure')).toContainEqual(
      expect.objectContaining({
        actor: { kind: 'anonymous' },
        reason: 'the access key is not valid',
        userAgent: USER_AGENT,
      }),
    )
  })

  it('records logout', async () => {
    const user = await t.userWithRole('none')
    const session = await call<{ accessKey: string }>('POST', '/api/login', {
      key: null,
      body: { accessKey: user.key },
    })
    expect((await call('POST', '/api/logout', { key: session.body.accessKey })).status).toBe(204)
    expect((await eventsOf('logout')).filter((event) => event.actor.id === user.id)).toEqual([
      expect.objectContaining({ outcome: 'success', target: { kind: 'access-key', id: expect.any(String) } }),
    ])
  })
})

describe('provider logins', () => {
  let providerID: string
  let providerName: string

  beforeAll(async () => {
    providerName = uniqueName('idp')
    const created = await call<{ id: string }>('POST', '/api/providers', {
      body: { name: providerName, url: idp.issuer, clientID: idp.clientID, clientSecret: idp.clientSecret },
    })
    expect(created.status).toBe(201)
    providerID = created.body.id
  })

  const codeFor = (login: string) => authorizationCode(idp, login, REDIRECT)

  const providerLogin = (oidc: Record<string, unknown>) =>
    call<{ userID: string; accessKey: string }>('POST', '/api/login', {
      key: null,
      body: { oidc: { providerID, redirectURL: REDIRECT, ...oidc } },
    })

  it('records the login, the user and groups it made, and the session the provider ends', async () => {
    const email = `${uniqueName('oidc')}@example.com`
    const group = uniqueName('oidc-group')
    idp.accounts.set('lin', { email, groups: [group] })
    const answer = await providerLogin(await codeFor('lin'))
    expect(answer.status).toBe(201)
    const user = { kind: 'user', id: answer.body.userID, name: email }

    expect((await eventsOf('login')).filter((event) => event.actor.id === user.id)).toEqual([
      expect.objectContaining({
        outcome: 'success',
        actor: user,
        details: { method: 'provider', provider: providerName },
      }),
    ])
    expect(await onlyEventOf('user.created', user.id)).toMatchObject({
      actor: user,
      details: { provider: providerName },
    })
    const made = (await eventsOf('group.created')).find((event) => event.target?.name === group)
    expect(made).toMatchObject({ actor: user })
    const joined = await onlyEventOf('group.members-changed', made?.target?.id)
    expect(joined.details).toEqual({ added: [user.id], removed: [], provider: providerName })

    // The provider forgets the user: the refresher ends the session, taking the key and the groups away.
    idp.accounts.delete('lin')
    await eventually(async () =>
      expect((await eventsOf('access-key.revoked')).filter((event) => event.actor.id === user.id)).toEqual([
        expect.objectContaining({
          reason: expect.any(String),
          details: { user: user.id, provider: providerName },
        }),
      ]),
    )
    const left = (await eventsOf('group.members-changed', made?.target?.id)).map((event) => event.details)
    expect(left).toEqual([
      { added: [user.id], removed: [], provider: providerName },
      { added: [], removed: [user.id], provider: providerName },
    ])
  })

  it('records refused provider logins with the reason', async () => {
    const forged = { code: 'forged-code-value', codeVerifier: pkcePair().verifier }
    expect((await providerLogin(forged)).status).toBe(401)
    const unknown = await call('POST', '/api/login', {
      key: null,
      body: { oidc: { providerID: 'AbCdEfGhJk', redirectURL: REDIRECT, code: 'x' } },
    })
    expect(unknown.status).toBe(400)
    const failures = (await eventsOf('login')).filter(
      (event) => event.outcome === 'failure' && event.details.method === 'provider',
    )
    expect(failures).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          actor: { kind: 'anonymous' },
          details: { method: 'provider', provider: providerName },
          reason: expect.stringMatching(/identity provider refused the login/),
        }),
        expect.objectContaining({ details: { method: 'provider' }, reason: 'no such identity provider' }),
      ]),
    )
  })
})

describe('access keys', () => {
  it('records keys created and revoked by whom, and each expiry once', async () => {
    const user = await newUser()
    const created = await call<{ id: string; name: string }>('POST', '/api/access-keys', {
      body: { userID: user.id, name: 'ci', expiry: '1s' },
    })
    expect(created.status).toBe(201)
    const target = { kind: 'access-key', id: created.body.id, name: 'ci' }
    expect(await onlyEventOf('access-key.created', created.body.id)).toMatchObject({
      ...byAdmin(),
      target,
      details: { user: user.id, expires: expect.any(String) },
    })

    // Noticed by the sweep (every 100 ms here), after the grace the key usage flushes need.
    await eventually(async () =>
      expect(await eventsOf('access-key.expired', created.body.id)).toHaveLength(1),
    )
    const expired = await onlyEventOf('access-key.expired', created.body.id)
    expect(expired).toMatchObject({
      actor: { kind: 'user', id: user.id, name: user.name },
      target,
      details: { user: user.id, reason: 'expiry' },
    })
    expect(Date.parse(expired.occurredAt)).toBeLessThan(Date.parse(expired.time))
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(await eventsOf('access-key.expired', created.body.id)).toHaveLength(1)

    // A key nobody uses within its inactivity timeout expires early, and says so.
    const idle = await call<{ id: string }>('POST', '/api/access-keys', {
      body: { userID: user.id, name: 'idle', inactivityTimeout: '1s' },
    })
    await eventually(async () => expect(await eventsOf('access-key.expired', idle.body.id)).toHaveLength(1))
    expect((await onlyEventOf('access-key.expired', idle.body.id)).details.reason).toBe('inactivity')

    const kept = await call<{ id: string }>('POST', '/api/access-keys', { body: { userID: user.id } })
    expect((await call('DELETE', `/api/access-keys/${kept.body.id}`)).status).toBe(204)
    expect(await onlyEventOf('access-key.revoked', kept.body.id)).toMatchObject({
      ...byAdmin(),
      details: { user: user.id },
    })
  })

  it('records each expiry once when replicas sweep together', async () => {
    const replica = await startTestServer(
      { settings: { keyExpiryCheckMs: 100 }, adminAccessKey: t.adminKey },
      t.database,
    )
    try {
      const user = await newUser()
      const keys = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          t.api<{ id: string }>('POST', '/api/access-keys', {
            body: { userID: user.id, name: `short-${index}`, expiry: '1s' },
          }),
        ),
      )
      const expiredOnes = async () =>
        (await eventsOf('access-key.expired')).filter((event) => event.details.user === user.id)
      await eventually(async () => expect(await expiredOnes()).toHaveLength(keys.length), 5000)
      await new Promise((resolve) => setTimeout(resolve, 500))
      const recorded = (await expiredOnes()).map((event) => event.target?.id).sort()
      expect(recorded).toEqual(keys.map((key) => key.id).sort())
    } finally {
      await replica.close()
    }
  })
})

describe('users and passwords', () => {
  it('records users created and removed, and passwords changed or refused', async () => {
    const user = await newUser()
    const target = { kind: 'user', id: user.id, name: user.name }
    expect(await onlyEventOf('user.created', user.id)).toMatchObject({ ...byAdmin(), target })

    const reset = await passwordLogin(user.name, user.oneTimePassword)
    const own = 'a-password-of-my-own'
    expect(
      (await call('PUT', '/api/users/self', { key: reset.body.accessKey, body: { password: own } })).status,
    ).toBe(200)
    const session = await passwordLogin(user.name, own)
    const wrongOld = await call('PUT', '/api/users/self', {
      key: session.body.accessKey,
      body: { password: 'another-one-entirely', oldPassword: 'not-it' },
    })
    expectError(wrongOld, 400)
    const self = { kind: 'user', id: user.id, name: user.name }
    expect(await eventsOf('password.changed', user.id)).toEqual([
      expect.objectContaining({ outcome: 'success', actor: self, target, details: { oneTime: false } }),
      expect.objectContaining({ outcome: 'failure', actor: self, reason: 'oldPassword is incorrect' }),
    ])

    expect((await call('DELETE', `/api/users/${user.id}`)).status).toBe(204)
    expect(await onlyEventOf('user.removed', user.id)).toMatchObject({ ...byAdmin(), target })
  })
})

describe('groups', () => {
  it('records groups created and removed, and only the members really added or removed', async () => {
    const created = await call<{ id: string; name: string }>('POST', '/api/groups', {
      body: { name: uniqueName('audited-group') },
    })
    const group = created.body
    const target = { kind: 'group', id: group.id, name: group.name }
    expect(await onlyEventOf('group.created', group.id)).toMatchObject({ ...byAdmin(), target })

    const [a, b] = [await newUser(), await newUser()]
    const members = (body: Record<string, string[]>) =>
      call('PATCH', `/api/groups/${group.id}/users`, { body })
    expect((await members({ usersToAdd: [a.id, b.id] })).status).toBe(204)
    expect((await members({ usersToAdd: [a.id], usersToRemove: [b.id, 'ZZZZZZZZZZ'] })).status).toBe(204)
    expect((await members({ usersToAdd: [a.id] })).status).toBe(204) // no change, no event
    const changes = await eventsOf('group.members-changed', group.id)
    expect(changes.map((event) => event.details)).toEqual([
      { added: expect.arrayContaining([a.id, b.id]), removed: [] },
      { added: [], removed: [b.id] },
    ])
    expect(changes[0]).toMatchObject({ ...byAdmin(), target })

    expect((await call('DELETE', `/api/groups/${group.id}`)).status).toBe(204)
    expect(await onlyEventOf('group.removed', group.id)).toMatchObject({ ...byAdmin(), target })
  })
})

describe('grants', () => {
  it('records grants created and removed, with the destination they open, and nothing for a failed change', async () => {
    const user = await newUser()
    const cluster = uniqueName('cluster')
    const body = { user: user.id, privilege: 'view', resource: `${cluster}.default` }
    const first = await call<{ id: string }>('POST', '/api/grants', { body })
    expect(first.status).toBe(201)
    expect((await call('POST', '/api/grants', { body })).status).toBe(200) // exists already: no event
    expect(await onlyEventOf('grant.created', first.body.id)).toMatchObject({
      ...byAdmin(),
      destination: cluster,
      target: { kind: 'grant', id: first.body.id },
      details: { user: user.id, privilege: 'view', resource: `${cluster}.default` },
    })

    const edit = { user: user.id, privilege: 'edit', resource: cluster }
    expect(
      (await call('PATCH', '/api/grants', { body: { grantsToAdd: [edit], grantsToRemove: [body] } })).status,
    ).toBe(204)
    expect(await onlyEventOf('grant.removed', first.body.id)).toMatchObject({
      ...byAdmin(),
      destination: cluster,
    })
    const added = (await eventsOf('grant.created')).filter(
      (event) => event.details.user === user.id && event.details.privilege === 'edit',
    )
    expect(added).toHaveLength(1)
    expect((await call('DELETE', `/api/grants/${added[0]?.target?.id}`)).status).toBe(204)
    expect(await eventsOf('grant.removed', added[0]?.target?.id)).toHaveLength(1)

    // Refused (Infra would be left without an admin): the change and its event are rolled back together.
    const adminGrants = await t.api<{ items: { id: string }[] }>('GET', '/api/grants', {
      query: { resource: 'infra', privilege: 'admin' },
    })
    expect(adminGrants.items).toHaveLength(1)
    const lastAdmin = adminGrants.items[0]?.id ?? ''
    expectError(await call('DELETE', `/api/grants/${lastAdmin}`), 409)
    expect(await eventsOf('grant.removed', lastAdmin)).toEqual([])
  })
})

describe('providers and destinations', () => {
  it('records providers created, updated (which fields, never the secret) and removed', async () => {
    const created = await call<{ id: string; name: string }>('POST', '/api/providers', {
      body: {
        name: uniqueName('okta'),
        url: 'example.okta.com',
        clientID: 'client',
        clientSecret: 'secret-1',
      },
    })
    const id = created.body.id
    expect(await onlyEventOf('provider.created', id)).toMatchObject({
      ...byAdmin(),
      target: { kind: 'provider', id, name: created.body.name },
      details: { url: 'https://example.okta.com' },
    })
    expect((await call('PATCH', `/api/providers/${id}`, { body: { clientSecret: 'secret-2' } })).status).toBe(
      200,
    )
    const updated = await onlyEventOf('provider.updated', id)
    expect(updated.details).toEqual({ fields: ['clientSecret'] })
    expect(JSON.stringify(updated)).not.toContain('secret-2')
    expect((await call('DELETE', `/api/providers/${id}`)).status).toBe(204)
    expect(await onlyEventOf('provider.removed', id)).toMatchObject(byAdmin())
  })

  it('records destinations created, changed (not a heartbeat) and removed, by the connector', async () => {
    const connector = await t.userWithRole('connector')
    const name = uniqueName('cluster')
    const body = {
      name,
      uniqueID: uniqueName('uid'),
      connection: { url: 'cluster.example.com:443', ca: '' },
      resources: ['default'],
    }
    const created = await call<{ id: string }>('POST', '/api/destinations', { key: connector.key, body })
    expect(created.status).toBe(201)
    const id = created.body.id
    const asConnector = { kind: 'connector', id: connector.id, name: connector.name }
    expect(await onlyEventOf('destination.created', id)).toMatchObject({
      actor: asConnector,
      destination: name,
      target: { kind: 'destination', id, name },
    })
    const put = (changes: Record<string, unknown>) =>
      call('PUT', `/api/destinations/${id}`, { key: connector.key, body: { ...body, ...changes } })
    expect((await put({})).status).toBe(200) // a heartbeat
    expect((await put({ resources: ['default', 'kube-system'] })).status).toBe(200)
    const updates = await eventsOf('destination.updated', id)
    expect(updates.map((event) => event.details)).toEqual([{ fields: ['resources'] }])
    expect((await call('DELETE', `/api/destinations/${id}`)).status).toBe(204)
    expect(await onlyEventOf('destination.removed', id)).toMatchObject({ ...byAdmin(), destination: name })
  })
})

describe('tokens', () => {
  it('records each token issued, for which destination and until when', async () => {
    const user = await t.userWithRole('none')
    const cluster = uniqueName('cluster')
    const issued = await call<{ expires: string }>('POST', '/api/tokens', {
      key: user.key,
      body: { destination: cluster },
    })
    expect(issued.status).toBe(201)
    expect((await eventsOf('token.issued')).filter((event) => event.actor.id === user.id)).toEqual([
      expect.objectContaining({
        outcome: 'success',
        actor: { kind: 'user', id: user.id, name: user.name },
        destination: cluster,
        details: { expiresAt: issued.body.expires },
      }),
    ])
  })
})
