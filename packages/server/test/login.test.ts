import { ACCESS_KEY_PATTERN } from '@infra/api-types'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startTestServer, uniqueName, type TestServer } from './harness.js'
import { expectConforms, expectError, expectFieldErrors } from './helpers.js'

let t: TestServer

beforeAll(async () => {
  t = await startTestServer()
})

afterAll(() => t.close())

interface Login {
  userID: string
  name: string
  accessKey: string
  expires: string
  passwordUpdateRequired?: boolean
}

const login = (name: string, password: string) =>
  t.request<Login>('POST', '/api/login', { key: null, body: { passwordCredentials: { name, password } } })

async function newUser(role?: 'admin' | 'view') {
  const name = `${uniqueName('person')}@example.com`
  const created = await t.request<{ id: string; oneTimePassword: string }>('POST', '/api/users', {
    body: { name },
  })
  expect(created.status).toBe(201)
  if (role) {
    const grant = await t.request('POST', '/api/grants', {
      body: { user: created.body.id, privilege: role, resource: 'infra' },
    })
    expect(grant.status).toBe(201)
  }
  return { id: created.body.id, name, oneTimePassword: created.body.oneTimePassword }
}

/** A user who went through the one-time password flow and now has `password`. */
async function userWithPassword(password: string, role?: 'admin' | 'view') {
  const user = await newUser(role)
  const first = await login(user.name, user.oneTimePassword)
  const changed = await t.request('PUT', '/api/users/self', { key: first.body.accessKey, body: { password } })
  expect(changed.status).toBe(200)
  return user
}

describe('the one-time password flow', () => {
  it('goes from one-time password to a password of the user’s own', async () => {
    const user = await newUser()

    // Logging in with the one-time password gives a key that can only change the password.
    const first = expectConforms<Login>('login', await login(user.name, user.oneTimePassword))
    expect(first).toMatchObject({ userID: user.id, name: user.name, passwordUpdateRequired: true })
    expect(first.accessKey).toMatch(ACCESS_KEY_PATTERN)
    const resetKey = first.accessKey
    expect(Date.parse(first.expires) - Date.now()).toBeLessThanOrEqual(15 * 60_000 + 5_000)

    for (const [method, path, body] of [
      ['GET', '/api/grants', undefined],
      ['GET', '/api/groups', undefined],
      ['GET', '/api/access-keys', undefined],
      ['POST', '/api/access-keys', { userID: 'self' }],
      ['POST', '/api/tokens', undefined],
      ['GET', '/api/destinations', undefined],
    ] as const) {
      expectError(await t.request(method, path, { key: resetKey, body }), 403)
    }
    // A new login with the reset key keeps it a reset key.
    const exchanged = await t.request<Login>('POST', '/api/login', {
      key: null,
      body: { accessKey: resetKey },
    })
    expect(exchanged.status).toBe(201)
    expectError(await t.request('GET', '/api/grants', { key: exchanged.body.accessKey }), 403)
    expect((await t.request('GET', '/api/users/self', { key: resetKey })).body.id).toBe(user.id)

    // No oldPassword needed: the key proved the one-time password.
    const changed = await t.request('PUT', '/api/users/self', {
      key: resetKey,
      body: { password: 'my own password' },
    })
    expect(expectConforms('updateUser', changed)).toMatchObject({ id: user.id, name: user.name })

    // The same key is now a full one.
    expect((await t.request('GET', '/api/grants', { key: resetKey })).status).toBe(200)
    expect(
      (await t.request('POST', '/api/access-keys', { key: resetKey, body: { userID: 'self' } })).status,
    ).toBe(201)

    // The one-time password is gone; the new one logs in with full access.
    expectError(await login(user.name, user.oneTimePassword), 401)
    const second = expectConforms<Login>('login', await login(user.name, 'my own password'))
    expect(second.passwordUpdateRequired).toBeUndefined()
    expect((await t.request('GET', '/api/grants', { key: second.accessKey })).status).toBe(200)
  })

  it('confines a reset key of an admin to its own user', async () => {
    const admin = await newUser('admin')
    const victim = await userWithPassword('victim password')
    const first = await login(admin.name, admin.oneTimePassword)
    expect(first.body.passwordUpdateRequired).toBe(true)
    const resetKey = first.body.accessKey

    expectError(await t.request('GET', '/api/users', { key: resetKey }), 403)
    expectError(await t.request('GET', `/api/users/${victim.id}`, { key: resetKey }), 403)
    expectError(
      await t.request('PUT', `/api/users/${victim.id}`, { key: resetKey, body: { password: 'hijacked!' } }),
      403,
    )
    expectError(await login(victim.name, 'hijacked!'), 401)
    expect((await login(victim.name, 'victim password')).status).toBe(201)

    expect(
      (await t.request('PUT', '/api/users/self', { key: resetKey, body: { password: 'admin password' } }))
        .status,
    ).toBe(200)
    // Having chosen their password, the admin is a full admin again: no one-time password for themselves.
    expect((await t.request('GET', '/api/users', { key: resetKey })).status).toBe(200)
    expect((await login(admin.name, 'admin password')).body.passwordUpdateRequired).toBeUndefined()
  })

  it('rejects a new password that is too short', async () => {
    const user = await newUser()
    const first = await login(user.name, user.oneTimePassword)
    expectFieldErrors(
      await t.request('PUT', '/api/users/self', { key: first.body.accessKey, body: { password: 'short' } }),
      ['password'],
    )
  })
})

describe('PUT /api/users/{id}', () => {
  it('requires the old password from a user who is not an admin', async () => {
    const user = await userWithPassword('first password', 'view')
    const session = (await login(user.name, 'first password')).body.accessKey

    expectFieldErrors(
      await t.request('PUT', '/api/users/self', { key: session, body: { password: 'second password' } }),
      ['oldPassword'],
    )
    expectFieldErrors(
      await t.request('PUT', `/api/users/${user.id}`, {
        key: session,
        body: { oldPassword: 'wrong password', password: 'second password' },
      }),
      ['oldPassword'],
    )
    expectError(await login(user.name, 'second password'), 401)

    const changed = await t.request('PUT', '/api/users/self', {
      key: session,
      body: { oldPassword: 'first password', password: 'second password' },
    })
    expect(changed.status).toBe(200)
    expectError(await login(user.name, 'first password'), 401)
    const after = await login(user.name, 'second password')
    expect(after.status).toBe(201)
    expect(after.body.passwordUpdateRequired).toBeUndefined()
  })

  it('does not let a user change someone else’s password', async () => {
    const user = await userWithPassword('mine mine mine', 'view')
    const other = await newUser()
    const session = (await login(user.name, 'mine mine mine')).body.accessKey
    expectError(
      await t.request('PUT', `/api/users/${other.id}`, {
        key: session,
        body: { oldPassword: 'mine mine mine', password: 'theirs now' },
      }),
      403,
    )
  })

  it('lets an admin change their own password without the old one, and it is not one-time', async () => {
    const admin = await userWithPassword('admin first', 'admin')
    const session = (await login(admin.name, 'admin first')).body.accessKey
    expect(
      (await t.request('PUT', '/api/users/self', { key: session, body: { password: 'admin second' } }))
        .status,
    ).toBe(200)
    const after = await login(admin.name, 'admin second')
    expect(after.status).toBe(201)
    expect(after.body.passwordUpdateRequired).toBeUndefined()
  })

  it('makes a password an admin sets for another user one-time again', async () => {
    const user = await userWithPassword('chosen by user')
    const changed = await t.request('PUT', `/api/users/${user.id}`, { body: { password: 'set by admin' } })
    expect(changed.status).toBe(200)
    expectError(await login(user.name, 'chosen by user'), 401)
    const first = await login(user.name, 'set by admin')
    expect(first.body.passwordUpdateRequired).toBe(true)
    expectError(await t.request('GET', '/api/grants', { key: first.body.accessKey }), 403)
    expect(
      (
        await t.request('PUT', '/api/users/self', {
          key: first.body.accessKey,
          body: { password: 'chosen again' },
        })
      ).status,
    ).toBe(200)
    expect((await login(user.name, 'chosen again')).body.passwordUpdateRequired).toBeUndefined()
  })
})

describe('POST /api/login', () => {
  it('answers 401 alike for a wrong password and an unknown user', async () => {
    const user = await userWithPassword('right password')
    const wrong = await login(user.name, 'wrong password')
    const unknown = await login(uniqueName('nobody'), 'right password')
    expectError(wrong, 401)
    expectError(unknown, 401)
    expect(wrong.body).toEqual(unknown.body)
  })

  it('answers 401 for a user without a password', async () => {
    const viewer = await t.userWithRole('view')
    // userWithRole users have a one-time password the test never saw.
    expectError(await login(viewer.name, 'anything at all'), 401)
  })

  it('requires exactly one login method', async () => {
    expectFieldErrors(await t.request('POST', '/api/login', { key: null, body: {} }), ['accessKey'])
    expectFieldErrors(
      await t.request('POST', '/api/login', {
        key: null,
        body: { accessKey: t.adminKey, passwordCredentials: { name: 'admin', password: 'x' } },
      }),
      ['accessKey'],
    )
  })

  it('rejects a malformed access key with 400 and an unknown one with 401', async () => {
    expectFieldErrors(await t.request('POST', '/api/login', { key: null, body: { accessKey: 'nope' } }), [
      'accessKey',
    ])
    expectError(
      await t.request('POST', '/api/login', {
        key: null,
        body: { accessKey: `abcdefghij.${'x'.repeat(24)}` },
      }),
      401,
    )
  })

  it('answers 400 for OIDC, which this server does not offer yet', async () => {
    const response = await t.request('POST', '/api/login', {
      key: null,
      body: { oidc: { providerID: 'abc', redirectURL: 'http://localhost/cb', code: 'c' } },
    })
    expectError(response, 400)
  })
})

describe('POST /api/logout', () => {
  it('revokes the calling key and only that one', async () => {
    const user = await userWithPassword('logging out', 'view')
    const one = (await login(user.name, 'logging out')).body.accessKey
    const two = (await login(user.name, 'logging out')).body.accessKey
    expect((await t.request('POST', '/api/logout', { key: one })).status).toBe(204)
    expectError(await t.request('GET', '/api/users/self', { key: one }), 401)
    expectError(await t.request('POST', '/api/logout', { key: one }), 401)
    expect((await t.request('GET', '/api/users/self', { key: two })).status).toBe(200)
  })

  it('works for a password-reset key', async () => {
    const user = await newUser()
    const key = (await login(user.name, user.oneTimePassword)).body.accessKey
    expect((await t.request('POST', '/api/logout', { key })).status).toBe(204)
    expectError(await t.request('GET', '/api/users/self', { key }), 401)
  })
})

describe('tokens', () => {
  it('issues a token for the caller and publishes the key that verifies it', async () => {
    const token = expectConforms('createToken', await t.request('POST', '/api/tokens'))
    expect(token.token.split('.')).toHaveLength(3)
    const jwks = expectConforms('getJwks', await t.request('GET', '/.well-known/jwks.json', { key: null }))
    expect(jwks.keys.length).toBeGreaterThan(0)
  })
})
