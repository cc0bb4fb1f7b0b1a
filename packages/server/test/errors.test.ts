import { API_VERSION, ErrorBody } from '@infra/api-types'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { connect } from 'node:net'
import { gzipSync } from 'node:zlib'
import { generateKey } from '../src/auth/access-key-secret.js'
import { startTestServer, uniqueName, type TestServer } from './harness.js'
import { expectError, expectFieldErrors } from './helpers.js'

let t: TestServer
let plain: { id: string; name: string; key: string }

beforeAll(async () => {
  t = await startTestServer()
  plain = await t.userWithRole('none')
})

afterAll(() => t.close())

/** A raw request, for what the harness always gets right (the version header, JSON encoding). */
async function raw(
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: BodyInit },
) {
  const response = await fetch(new URL(path, t.url), {
    method,
    headers: init.headers ?? {},
    body: init.body ?? null,
  })
  const text = await response.text()
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers }
}

describe('the Infra-Version header', () => {
  it('is required on /api routes', async () => {
    const response = await raw('GET', '/api/users', { headers: { Authorization: `Bearer ${t.adminKey}` } })
    expectError(response, 400)
    expect(response.body.message).toContain('Infra-Version')
  })

  it('is required even on public routes', async () => {
    expectError(await raw('GET', '/api/version', {}), 400)
  })

  it.each(['', 'latest', '0.17', 'v0.17.0', '0.17.0.1', '0.17.0; drop'])(
    'rejects the malformed value %p',
    async (v) => {
      expectError(await t.request('GET', '/api/users', { headers: { 'Infra-Version': v } }), 400)
    },
  )

  it('is checked before authentication', async () => {
    expectError(await raw('GET', '/api/users', {}), 400)
  })

  it('is not needed outside /api', async () => {
    expect((await raw('GET', '/.well-known/jwks.json', {})).status).toBe(200)
    expect(await raw('GET', '/healthz', {})).toMatchObject({ status: 200, body: { status: 'ok' } })
  })

  it('accepts the current version', async () => {
    expect(
      (await t.request('GET', '/api/version', { headers: { 'Infra-Version': API_VERSION } })).status,
    ).toBe(200)
  })
})

describe('request bodies', () => {
  it('rejects malformed JSON with 400', async () => {
    const response = await t.request('POST', '/api/users', { rawBody: '{"name": "x",' })
    expectError(response, 400)
    expect(response.body.message).toMatch(/JSON/)
  })

  it.each([
    ['null', 'null'],
    ['an array', '[{"name":"x"}]'],
    ['a string', '"x"'],
    ['a number', '42'],
  ])('rejects %s where an object is expected', async (_what, rawBody) => {
    expectFieldErrors(await t.request('POST', '/api/users', { rawBody }), ['body'])
  })

  it('rejects a body that is not JSON', async () => {
    const response = await t.request('POST', '/api/groups', {
      rawBody: 'name=x',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    })
    expectError(response, 400)
  })

  it('rejects wrong types, one fieldErrors entry per bad field', async () => {
    const response = await t.request('POST', '/api/destinations', {
      body: { name: 42, uniqueID: ['x'], resources: 'default', roles: [1] },
    })
    expectFieldErrors(response, ['name', 'uniqueID', 'resources', 'roles.0'])
  })

  it('rejects missing fields, one fieldErrors entry per field', async () => {
    expectFieldErrors(await t.request('POST', '/api/providers', { body: {} }), [
      'name',
      'url',
      'clientID',
      'clientSecret',
    ])
    expectFieldErrors(await t.request('POST', '/api/grants', { body: { user: 'self' } }), [
      'privilege',
      'resource',
    ])
    expectFieldErrors(await t.request('PUT', '/api/users/self', { body: {} }), ['password'])
  })

  it('names nested fields by their path', async () => {
    const response = await t.request('PATCH', '/api/grants', {
      body: {
        grantsToAdd: [
          { user: 'self', privilege: 'view', resource: 'ok' },
          { user: 'self', resource: 'a b' },
        ],
      },
    })
    expectFieldErrors(response, ['grantsToAdd.1.privilege', 'grantsToAdd.1.resource'])
  })

  it('ignores unknown fields, as Infra did', async () => {
    const response = await t.request('POST', '/api/groups', { body: { name: uniqueName('g'), admin: true } })
    expect(response.status).toBe(201)
    expect(response.body).not.toHaveProperty('admin')
  })

  it('rejects a body over 1 MiB with 413', async () => {
    const response = await t.request('POST', '/api/groups', {
      rawBody: JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 1) }),
    })
    expectError(response, 413)
  })

  it('accepts a body just under 1 MiB as far as the size check goes', async () => {
    const response = await t.request('POST', '/api/groups', {
      rawBody: JSON.stringify({ name: 'x'.repeat(1024 * 1024 - 20) }),
    })
    expectFieldErrors(response, ['name'])
  })

  it('rejects a body that does not match its Content-Encoding with 400', async () => {
    const response = await t.request('POST', '/api/groups', {
      rawBody: '{"name":"x"}',
      headers: { 'Content-Encoding': 'gzip' },
    })
    expectError(response, 400)
  })

  it('reads a gzip body', async () => {
    const name = uniqueName('gz')
    const response = await raw('POST', '/api/groups', {
      headers: {
        'Infra-Version': API_VERSION,
        Authorization: `Bearer ${t.adminKey}`,
        'Content-Type': 'application/json',
        'Content-Encoding': 'gzip',
      },
      body: gzipSync(JSON.stringify({ name })),
    })
    expect(response).toMatchObject({ status: 201, body: { name } })
  })

  it('rejects text Postgres cannot store (NUL, lone surrogates) with field errors, never 500', async () => {
    expectFieldErrors(await t.request('POST', '/api/users', { rawBody: '{"name":"a\\u0000b"}' }), ['name'])
    expectFieldErrors(await t.request('POST', '/api/users', { rawBody: '{"name":"\\ud800"}' }), ['name'])
    expectFieldErrors(
      await t.request('POST', '/api/destinations', {
        rawBody: '{"name":"d","uniqueID":"\\u0000","resources":["ok","\\udfff"]}',
      }),
      ['uniqueID', 'resources.1'],
    )
    expectFieldErrors(
      await t.request('POST', '/api/providers', {
        rawBody: '{"name":"p","url":"\\u0000","clientID":"c","clientSecret":"s"}',
      }),
      ['url'],
    )
    expectFieldErrors(
      await t.request('POST', '/api/login', {
        key: null,
        rawBody: '{"passwordCredentials":{"name":"admin","password":"a\\u0000"}}',
      }),
      ['passwordCredentials.password'],
    )
  })

  it('accepts well-formed Unicode, including characters outside the BMP', async () => {
    const name = `${uniqueName('grüppe')}-🚀`
    expect(await t.request('POST', '/api/groups', { body: { name } })).toMatchObject({
      status: 201,
      body: { name },
    })
  })

  it('survives a deeply nested body', async () => {
    const depth = 100_000
    const response = await t.request('PATCH', '/api/grants', {
      rawBody: '['.repeat(depth) + ']'.repeat(depth),
    })
    expect([400, 413]).toContain(response.status)
    expectError(response, response.status)
  })
})

describe('query strings', () => {
  it.each([
    [{ limit: '1001' }, ['limit']],
    [{ limit: '-1' }, ['limit']],
    [{ limit: '1.5' }, ['limit']],
    [{ page: '-1' }, ['page']],
    [{ page: 'two' }, ['page']],
    [{ page: '99999999999999999999' }, ['page']],
    [{ showSystem: 'maybe' }, ['showSystem']],
    [{ ids: 'not/an/id' }, ['ids']],
    [{ group: '0OIl' }, ['group']],
    [{ page: '-1', limit: 'x' }, ['page', 'limit']],
  ])('rejects %p on GET /api/users', async (query, fields) => {
    expectFieldErrors(await t.request('GET', '/api/users', { query }), fields)
  })

  it('rejects a repeated single-valued parameter', async () => {
    expectFieldErrors(await t.request('GET', '/api/users', { query: { name: ['a', 'b'] } }), ['name'])
  })

  it('rejects NUL in a query value with field errors, never 500', async () => {
    for (const [path, field] of [
      ['/api/users', 'name'],
      ['/api/grants', 'resource'],
      ['/api/grants', 'privilege'],
      ['/api/destinations', 'unique_id'],
      ['/api/access-keys', 'name'],
      ['/api/providers', 'name'],
      ['/api/groups', 'name'],
    ] as const) {
      expectFieldErrors(await t.request('GET', path, { query: { [field]: 'a\u0000b' } }), [field])
    }
  })

  it('rejects limits over 1000 on every list', async () => {
    for (const path of [
      '/api/users',
      '/api/groups',
      '/api/grants',
      '/api/destinations',
      '/api/access-keys',
      '/api/providers',
    ]) {
      expectFieldErrors(await t.request('GET', path, { query: { limit: 1001 } }), ['limit'])
      expect((await t.request('GET', path, { query: { limit: 1000 } })).status).toBe(200)
    }
  })
})

describe('request heads', () => {
  it('takes the longest list filter the API accepts: 1000 ids and a long name', async () => {
    const ids = Array.from({ length: 1000 }, (_, i) =>
      `zzzzzz${String(i).padStart(5, '1')}`.replace(/0/g, 'z'),
    )
    const response = await t.request('GET', '/api/users', { query: { ids, name: 'n'.repeat(4000) } })
    expect(response.status).toBe(200)
    expect(response.body.items).toEqual([])
  })

  it('answers 431 in the error format for a request line and headers over 64 KiB', async () => {
    const response = await t.request('GET', '/api/users', { query: { name: 'n'.repeat(70 * 1024) } })
    expectError(response, 431)
  })

  it('answers 400 in the error format for malformed HTTP', async () => {
    const { port, hostname } = new URL(t.url)
    const raw = await new Promise<string>((resolve, reject) => {
      let received = ''
      const socket = connect(Number(port), hostname, () => socket.write('NOT HTTP AT ALL\r\n\r\n'))
      socket.on('data', (chunk) => (received += chunk.toString()))
      socket.on('end', () => resolve(received))
      socket.on('error', reject)
    })
    expect(raw).toMatch(/^HTTP\/1\.1 400 /)
    const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))
    expect(ErrorBody.parse(body)).toMatchObject({ code: 400 })
  })
})

describe('path ids', () => {
  it.each([
    '/api/users/not-an-id',
    '/api/users/0OIl',
    '/api/users/123456789012',
    '/api/groups/self',
    '/api/grants/a.b',
    '/api/destinations/%20',
    '/api/providers/%C3%A9',
  ])('rejects the malformed id in %s with 400', async (path) => {
    expectFieldErrors(await t.request('GET', path), ['id'])
  })

  it('rejects malformed ids on DELETE routes with 400', async () => {
    for (const path of ['/api/access-keys/x_y', '/api/users/0OIl', '/api/groups/self', '/api/grants/a.b']) {
      expectFieldErrors(await t.request('DELETE', path), ['id'])
    }
  })

  it.each(['/api/users/%', '/api/users/%E0%A4%A', '/api/groups/%zz', '/api/grants/%ff%fe'])(
    'rejects the malformed percent-encoding in %s with 400, not 500',
    async (path) => {
      expectError(await t.request('GET', path), 400)
      expectError(await t.request('DELETE', path), 400)
    },
  )

  it('answers 404 for a well-formed id that does not exist', async () => {
    for (const path of ['users', 'groups', 'grants', 'destinations', 'providers']) {
      expectError(await t.request('GET', `/api/${path}/zzzzzzzzzzz`), 404)
      expectError(await t.request('DELETE', `/api/${path}/zzzzzzzzzzz`), 404)
    }
    expectError(await t.request('DELETE', '/api/access-keys/zzzzzzzzzzz'), 404)
    expectError(await t.request('PATCH', '/api/groups/zzzzzzzzzzz/users', { body: {} }), 404)
    expectError(
      await t.request('PUT', '/api/destinations/zzzzzzzzzzz', { body: { name: 'nowhere', uniqueID: 'u' } }),
      404,
    )
    expectError(await t.request('PUT', '/api/users/zzzzzzzzzzz', { body: { password: 'long-enough' } }), 404)
  })
})

describe('routes', () => {
  it('answers 404 in the error format for an unknown route', async () => {
    expectError(await t.request('GET', '/api/nothing-here'), 404)
    expectError(await t.request('GET', '/nothing-here'), 404)
    expectError(await t.request('POST', '/api/users/self/extra'), 404)
  })

  it('answers 404 for a method a path does not have', async () => {
    expectError(await t.request('PUT', '/api/groups', { body: {} }), 404)
    expectError(await t.request('DELETE', '/api/users'), 404)
  })
})

describe('authentication and permission', () => {
  it('answers 401 without a key', async () => {
    expectError(await t.request('GET', '/api/users', { key: null }), 401)
  })

  it.each([
    ['a malformed key', 'Bearer not-a-key'],
    ['an unknown key', `Bearer ${generateKey().text}`],
    ['the right key id with a wrong secret', 'WRONG'],
    ['another scheme', 'Basic YWRtaW46YWRtaW4='],
    ['a bare key', 'KEY'],
    ['an empty bearer', 'Bearer '],
  ])('answers 401 for %s', async (_what, header) => {
    const [keyId] = t.adminKey.split('.')
    const value =
      header === 'WRONG' ? `Bearer ${keyId}.${'x'.repeat(24)}` : header === 'KEY' ? t.adminKey : header
    expectError(await t.request('GET', '/api/users', { key: null, headers: { Authorization: value } }), 401)
  })

  it('answers 403 for a caller without the role', async () => {
    expectError(await t.request('GET', '/api/users', { key: plain.key }), 403)
    expectError(
      await t.request('POST', '/api/groups', { key: plain.key, body: { name: uniqueName('g') } }),
      403,
    )
    expectError(
      await t.request('GET', `/api/grants`, { key: plain.key, query: { user: 'zzzzzzzzzzz' } }),
      403,
    )
  })

  it('authenticates before validating, so anonymous callers learn nothing about inputs', async () => {
    expectError(await t.request('POST', '/api/groups', { key: null, body: { bad: true } }), 401)
    expectError(await t.request('POST', '/api/groups', { key: plain.key, body: { bad: true } }), 403)
  })

  it('ignores a bad key on public routes', async () => {
    expect((await t.request('GET', '/api/providers', { key: 'garbage' })).status).toBe(200)
  })
})

describe('conflicts', () => {
  it('answers 409 for duplicates', async () => {
    const name = uniqueName('dup')
    expect((await t.request('POST', '/api/users', { body: { name } })).status).toBe(201)
    expectError(await t.request('POST', '/api/users', { body: { name } }), 409)
    expect((await t.request('POST', '/api/groups', { body: { name } })).status).toBe(201)
    expectError(await t.request('POST', '/api/groups', { body: { name } }), 409)
    expect((await t.request('POST', '/api/destinations', { body: { name, uniqueID: 'u' } })).status).toBe(201)
    expectError(await t.request('POST', '/api/destinations', { body: { name, uniqueID: 'u' } }), 409)
    const provider = { name, url: 'idp.example.com', clientID: 'c', clientSecret: 's' }
    expect((await t.request('POST', '/api/providers', { body: provider })).status).toBe(201)
    expectError(await t.request('POST', '/api/providers', { body: provider }), 409)
    expect((await t.request('POST', '/api/access-keys', { body: { userID: 'self', name } })).status).toBe(201)
    expectError(await t.request('POST', '/api/access-keys', { body: { userID: 'self', name } }), 409)
  })

  it('treats a name that differs only by surrounding whitespace as the same name', async () => {
    const name = uniqueName('trim')
    expect((await t.request('POST', '/api/groups', { body: { name } })).status).toBe(201)
    expectError(await t.request('POST', '/api/groups', { body: { name: `  ${name} ` } }), 409)
  })
})

describe('durations', () => {
  it.each(['0s', '0.1ms', '99999999999999999999h', '1000000h'])(
    'rejects the access key expiry %p with 400',
    async (expiry) => {
      expectFieldErrors(await t.request('POST', '/api/access-keys', { body: { userID: 'self', expiry } }), [
        'expiry',
      ])
    },
  )

  it('rejects an out-of-range inactivityTimeout with 400', async () => {
    expectFieldErrors(
      await t.request('POST', '/api/access-keys', {
        body: { userID: 'self', expiry: '1h', inactivityTimeout: '9999999999999h' },
      }),
      ['inactivityTimeout'],
    )
  })

  it('rejects a malformed duration with 400', async () => {
    expectFieldErrors(
      await t.request('POST', '/api/access-keys', { body: { userID: 'self', expiry: '1 day' } }),
      ['expiry'],
    )
  })
})
