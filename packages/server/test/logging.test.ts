import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { startTestServer, uniqueName, type TestServer } from './harness.js'
import { eventually } from './helpers.js'

const lines: string[] = []
let t: TestServer

beforeAll(async () => {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean))
      done()
    },
  })
  t = await startTestServer({ logger: pino({ level: 'debug' }, stream), settings: { accessLog: 1 } })
})

afterAll(() => t.close())

describe('GET /healthz', () => {
  it('answers 200 without a key or version header', async () => {
    const response = await fetch(new URL('/healthz', t.url))
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: 'ok' })
  })
})

describe('logs', () => {
  it('log every request without its keys, passwords or query', async () => {
    const secrets: string[] = [t.adminKey]
    const login = (name: string, password: string) =>
      t.request('POST', '/api/login', { key: null, body: { passwordCredentials: { name, password } } })

    // A user's whole password life: one-time password, their own, one set by an admin, wrong guesses.
    const name = uniqueName('logged')
    const created = await t.request('POST', '/api/users', { body: { name } })
    const oneTime: string = created.body.oneTimePassword
    secrets.push(oneTime)
    const first = await login(name, oneTime)
    secrets.push(first.body.accessKey)
    expect(
      (
        await t.request('PUT', '/api/users/self', {
          key: first.body.accessKey,
          body: { password: 'Own-Password-1' },
        })
      ).status,
    ).toBe(200)
    secrets.push('Own-Password-1')
    const second = await login(name, 'Own-Password-1')
    secrets.push(second.body.accessKey)
    expect(
      (
        await t.request('PUT', '/api/users/self', {
          key: second.body.accessKey,
          body: { oldPassword: 'Own-Password-1', password: 'Own-Password-2' },
        })
      ).status,
    ).toBe(200)
    secrets.push('Own-Password-2')
    expect(
      (await t.request('PUT', `/api/users/${created.body.id}`, { body: { password: 'Admin-Set-Password' } }))
        .status,
    ).toBe(200)
    secrets.push('Admin-Set-Password')
    expect((await login(name, 'Wrong-Password-Guess')).status).toBe(401)
    secrets.push('Wrong-Password-Guess')
    expect(
      (
        await t.request('PUT', '/api/users/self', {
          key: second.body.accessKey,
          body: { oldPassword: 'Wrong-Old-Password', password: 'Never-Set-Password' },
        })
      ).status,
    ).toBe(400)
    secrets.push('Wrong-Old-Password', 'Never-Set-Password')

    // Access keys: created, exchanged at login, used, logged out, revoked, and forged.
    const key = await t.request('POST', '/api/access-keys', { body: { userID: created.body.id } })
    secrets.push(key.body.accessKey)
    const exchanged = await t.request('POST', '/api/login', {
      key: null,
      body: { accessKey: key.body.accessKey },
    })
    secrets.push(exchanged.body.accessKey)
    expect((await t.request('GET', '/api/users/self', { key: exchanged.body.accessKey })).status).toBe(200)
    expect((await t.request('POST', '/api/logout', { key: exchanged.body.accessKey })).status).toBe(204)
    expect((await t.request('GET', '/api/users/self', { key: exchanged.body.accessKey })).status).toBe(401)
    const forged = `${key.body.accessKey.split('.')[0]}.ForgedSecretForgedSecret`
    expect((await t.request('GET', '/api/users/self', { key: forged })).status).toBe(401)
    secrets.push(forged)
    expect((await t.request('POST', '/api/tokens', { key: key.body.accessKey })).status).toBe(201)
    expect((await t.request('DELETE', `/api/access-keys/${key.body.id}`)).status).toBe(204)

    // Secrets where they do not belong: a query string, a malformed JSON body, a provider's client secret.
    expect(
      (
        await t.request('GET', '/api/users', {
          query: { name: 'Secret-In-Query', password: 'Secret-In-Query' },
        })
      ).status,
    ).toBe(200)
    secrets.push('Secret-In-Query')
    expect(
      (
        await t.request('POST', '/api/login', {
          key: null,
          rawBody: '{"passwordCredentials":{"name":"x","password":"Secret-In-Bad-JSON"}',
        })
      ).status,
    ).toBe(400)
    secrets.push('Secret-In-Bad-JSON')
    expect(
      (
        await t.request('POST', '/api/providers', {
          body: {
            name: uniqueName('idp'),
            url: 'idp.example.com',
            clientID: 'c',
            clientSecret: 'Client-Secret-Value',
          },
        })
      ).status,
    ).toBe(201)
    secrets.push('Client-Secret-Value')

    await eventually(() => {
      expect(lines.filter((line) => line.includes('"request"')).length).toBeGreaterThanOrEqual(20)
      return Promise.resolve()
    })
    const log = lines.join('\n')
    for (const secret of secrets) {
      expect(log).not.toContain(secret)
      // The secret half of a key alone is just as bad.
      const [, secretHalf] = secret.split('.')
      if (secretHalf) expect(log).not.toContain(secretHalf)
    }
    expect(log).not.toMatch(/Bearer/i)

    // Each request line says what happened, with the path but not the query.
    const requests = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'request')
    expect(requests).toContainEqual(
      expect.objectContaining({ method: 'POST', path: '/api/login', status: 401 }),
    )
    expect(requests).toContainEqual(
      expect.objectContaining({ method: 'GET', path: '/api/users', status: 200 }),
    )
  })
})
