// The attack suite: requests that try to reach the API server with more rights than their token's user.
// The proxy runs in front of a recording upstream, so each case can check exactly what arrived there.
// After every case, every request that did reach the upstream is checked against the invariant: the
// connector's own credentials, exactly one Impersonate-User (a user the token proves), Impersonate-Group
// lines only for the token's non-system groups, and no caller-chosen identity header.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { SignJWT, base64url } from 'jose'
import { createSecretKey } from 'node:crypto'
import { AccessList } from '../src/auth/access.js'
import {
  FIXTURE_DESTINATION,
  headerValues,
  newKeys,
  rawRequest,
  signToken,
  startProxyFixture,
  UPSTREAM_TOKEN,
  type ProxyFixture,
  type TokenOptions,
} from './fake-upstream.js'

let fixture: ProxyFixture
let valid: string
/** The identities the tokens of the current case prove: a request upstream may carry no other. */
let proven: { name: string; groups: string[] }[] = [{ name: 'alice', groups: ['devs'] }]

beforeAll(async () => {
  fixture = await startProxyFixture()
  valid = await signToken(fixture.keys, { name: 'alice', groups: ['devs'] })
})

afterAll(async () => {
  await fixture?.close()
})

afterEach(() => {
  for (const request of fixture.upstream.requests) {
    const headers = request.rawHeaders
    expect(headerValues(headers, 'authorization')).toEqual([`Bearer ${UPSTREAM_TOKEN}`])
    const users = headerValues(headers, 'impersonate-user')
    expect(users).toHaveLength(1)
    const identity = proven.find((candidate) => Buffer.from(candidate.name).toString('latin1') === users[0])
    expect(identity).toBeDefined()
    const allowedGroups = (identity?.groups ?? []).filter((group) => !group.startsWith('system:'))
    for (const group of headerValues(headers, 'impersonate-group')) {
      expect(allowedGroups.map((name) => Buffer.from(name).toString('latin1'))).toContain(group)
    }
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]?.toLowerCase() ?? ''
      if (name.startsWith('impersonate-')) expect(['impersonate-user', 'impersonate-group']).toContain(name)
      expect(name.startsWith('x-remote-')).toBe(false)
    }
  }
  fixture.upstream.requests.length = 0
  proven = [{ name: 'alice', groups: ['devs'] }]
})

const request = (lines: string[], body = '') =>
  rawRequest(fixture, [...lines, 'Host: localhost', '', ''].join('\r\n') + body)

const get = (path: string, headers: string[] = [], token: string | null = valid) =>
  request([`GET ${path} HTTP/1.1`, ...(token === null ? [] : [`Authorization: Bearer ${token}`]), ...headers])

/** A token whose claims differ from a genuine one: signed by the trusted key unless said otherwise. */
const tokenWith = (options: TokenOptions) => signToken(fixture.keys, options)

describe('injected identity headers are refused before anything reaches the API server', () => {
  const cases: [string, string[]][] = [
    ['Impersonate-User', ['Impersonate-User: admin']],
    ['impersonate-user (lower case)', ['impersonate-user: admin']],
    ['IMPERSONATE-USER (upper case)', ['IMPERSONATE-USER: admin']],
    ['iMpErSoNaTe-uSeR (mixed case)', ['iMpErSoNaTe-uSeR: admin']],
    ['Impersonate-Group', ['Impersonate-Group: system:masters']],
    ['impersonate-group twice', ['impersonate-group: system:masters', 'impersonate-group: admins']],
    ['Impersonate-Uid', ['Impersonate-Uid: 0']],
    ['IMPERSONATE-UID', ['IMPERSONATE-UID: 0']],
    ['Impersonate-Extra-*', ['Impersonate-Extra-scopes: cluster-admin']],
    ['impersonate-extra with an encoded key', ['impersonate-extra-acme.com%2fproject: x']],
    ['an empty Impersonate-User', ['Impersonate-User: ']],
    ['Impersonate-User twice', ['Impersonate-User: admin', 'Impersonate-User: root']],
    [
      'Impersonate-User also named in Connection',
      ['Connection: Impersonate-User', 'Impersonate-User: admin'],
    ],
    ['X-Remote-User (front-proxy identity)', ['X-Remote-User: admin']],
    ['x-remote-group', ['x-remote-group: system:masters']],
    ['X-Remote-Extra-*', ['X-Remote-Extra-Scopes: all']],
  ]
  it.each(cases)('%s → 400', async (_name, headers) => {
    const response = await get('/api/v1/namespaces/web/pods', headers)
    expect(response.status).toBe(400)
    expect(JSON.parse(response.body)).toMatchObject({ kind: 'Status', code: 400 })
    expect(fixture.upstream.requests).toHaveLength(0)
  })

  it('an upgrade request carrying Impersonate-User → 400', async () => {
    const response = await request([
      'GET /api/v1/namespaces/web/pods/p/exec?command=sh HTTP/1.1',
      `Authorization: Bearer ${valid}`,
      'Connection: Upgrade',
      'Upgrade: SPDY/3.1',
      'Impersonate-User: admin',
    ])
    expect(response.status).toBe(400)
    expect(fixture.upstream.requests).toHaveLength(0)
  })
})

describe('the caller’s Authorization header never reaches the API server', () => {
  it('forwards a valid request with the connector’s credentials and impersonation only', async () => {
    const response = await get('/api/v1/namespaces/web/pods')
    expect(response.status).toBe(200)
    expect(fixture.upstream.requests).toHaveLength(1)
    expect(headerValues(fixture.upstream.requests[0]!.rawHeaders, 'impersonate-group')).toEqual(['devs'])
  })

  it('two Authorization headers (one forged) → 401', async () => {
    const response = await get('/api/v1/pods', [`Authorization: Bearer ${await signToken(await newKeys())}`])
    expect(response.status).toBe(401)
    expect(fixture.upstream.requests).toHaveLength(0)
  })

  it('Connection: Authorization cannot smuggle the caller’s header through', async () => {
    const response = await get('/api/v1/pods', ['Connection: Authorization'])
    expect(response.status).toBe(200)
    // The afterEach invariant checks that only the connector's Authorization arrived.
  })

  it('Connection naming a header the proxy adds does not remove the impersonation', async () => {
    const response = await get('/api/v1/pods', ['Connection: keep-alive, Impersonate-Group, Authorization'])
    expect(response.status).toBe(200)
    expect(headerValues(fixture.upstream.requests[0]!.rawHeaders, 'impersonate-user')).toEqual(['alice'])
  })

  it('Proxy-Authorization and hop-by-hop headers are dropped', async () => {
    const response = await get('/api/v1/pods', [
      'Proxy-Authorization: Basic YWRtaW46YWRtaW4=',
      'Keep-Alive: timeout=5',
      'TE: trailers',
      'Connection: X-Custom',
      'X-Custom: drop-me',
      'X-Other: keep-me',
    ])
    expect(response.status).toBe(200)
    const headers = fixture.upstream.requests[0]!.rawHeaders
    for (const name of ['proxy-authorization', 'keep-alive', 'te', 'x-custom']) {
      expect(headerValues(headers, name)).toEqual([])
    }
    expect(headerValues(headers, 'x-other')).toEqual(['keep-me'])
  })

  it.each([
    ['no Authorization', null, []],
    ['Basic credentials', null, ['Authorization: Basic YWRtaW46YWRtaW4=']],
    ['an empty bearer token', null, ['Authorization: Bearer ']],
    ['two tokens in one header', null, [`Authorization: Bearer ${'a.b.c'} ${'d.e.f'}`]],
    ['garbage', 'not-a-jwt', []],
  ] as [string, string | null, string[]][])('%s → 401', async (_name, token, headers) => {
    const response = await get('/api/v1/pods', headers, token)
    expect(response.status).toBe(401)
    expect(fixture.upstream.requests).toHaveLength(0)
  })
})

describe('tokens', () => {
  const refused = async (token: string, status = 401) => {
    const response = await get('/api/v1/pods', [], token)
    expect(response.status).toBe(status)
    expect(fixture.upstream.requests).toHaveLength(0)
    return response
  }

  it('expired → 401', async () => {
    await refused(await tokenWith({ expiresIn: -3600, issuedAt: Math.floor(Date.now() / 1000) - 7200 }))
  })

  it('not yet valid (nbf in the future) → 401', async () => {
    await refused(await tokenWith({ notBefore: Math.floor(Date.now() / 1000) + 3600 }))
  })

  it('issued in the future → 401', async () => {
    await refused(await tokenWith({ issuedAt: Math.floor(Date.now() / 1000) + 3600, expiresIn: 7200 }))
  })

  it('for another audience → 401', async () => {
    await refused(await tokenWith({ audience: 'kubernetes' }))
  })

  describe('for another destination, or for none, signed by the same server → 401', () => {
    // The fixture serves FIXTURE_DESTINATION; each audience below is what an attacker holding a genuine
    // token for another cluster, or able to ask the server for one, would try.
    const audiences: [string, unknown][] = [
      ['another destination', ['infra', 'other']],
      ['no destination (what Infra’s own CLI asks for)', 'infra'],
      ['no aud at all', undefined],
      ['the destination alone, as a string', FIXTURE_DESTINATION],
      ['the destination alone, in a list', [FIXTURE_DESTINATION]],
      ['both destinations', ['infra', FIXTURE_DESTINATION, 'other']],
      ['both destinations, ours last', ['infra', 'other', FIXTURE_DESTINATION]],
      ['ours twice', ['infra', FIXTURE_DESTINATION, FIXTURE_DESTINATION]],
      ['the two names swapped', [FIXTURE_DESTINATION, 'infra']],
      ['upper case', ['infra', FIXTURE_DESTINATION.toUpperCase()]],
      ['capitalized', ['infra', `${FIXTURE_DESTINATION[0]?.toUpperCase()}${FIXTURE_DESTINATION.slice(1)}`]],
      ['INFRA in upper case', ['INFRA', FIXTURE_DESTINATION]],
      ['a leading space', ['infra', ` ${FIXTURE_DESTINATION}`]],
      ['a trailing space', ['infra', `${FIXTURE_DESTINATION} `]],
      ['a trailing newline', ['infra', `${FIXTURE_DESTINATION}\n`]],
      ['a trailing NUL', ['infra', `${FIXTURE_DESTINATION}\u0000`]],
      ['a namespace of it', ['infra', `${FIXTURE_DESTINATION}.default`]],
      ['a look-alike (Cyrillic е)', ['infra', FIXTURE_DESTINATION.replace('e', '\u0435')]],
      ['an object with the right values', { 0: 'infra', 1: FIXTURE_DESTINATION }],
      ['a nested list', [['infra', FIXTURE_DESTINATION]]],
    ]
    it.each(audiences)('%s', async (_, audience) => {
      await refused(await tokenWith({ audience }))
    })

    it('while the genuine token for this destination passes', async () => {
      expect((await get('/api/v1/pods', [], await tokenWith({}))).status).toBe(200)
    })
  })

  it('from another issuer → 401', async () => {
    await refused(await tokenWith({ issuer: 'evil' }))
  })

  it('signed by an unknown key → 401, and key refetches are rate limited', async () => {
    const before = fixture.jwksFetches()
    const stranger = await newKeys()
    for (let i = 0; i < 5; i++) await refused(await signToken(stranger, { kid: `unknown-${i}` }))
    expect(fixture.jwksFetches() - before).toBeLessThanOrEqual(1)
  })

  it('signed by an unknown key claiming a trusted kid → 401', async () => {
    await refused(await signToken(await newKeys(), { kid: fixture.keys.kid }))
  })

  it('alg: none → 401', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', kid: fixture.keys.kid, typ: 'JWT' }))
    const payload = base64url.encode(
      JSON.stringify({ name: 'alice', iss: 'infra', aud: 'infra', exp: Math.floor(Date.now() / 1000) + 300 }),
    )
    await refused(`${header}.${payload}.`)
    await refused(`${header}.${payload}.AAAA`)
  })

  it('HS256 signed with the public key as the secret → 401', async () => {
    const secret = createSecretKey(Buffer.from(JSON.stringify(fixture.keys.jwk)))
    const token = await new SignJWT({ name: 'alice', groups: [] })
      .setProtectedHeader({ alg: 'HS256', kid: fixture.keys.kid })
      .setIssuer('infra')
      .setAudience('infra')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(secret)
    await refused(token)
  })

  it('a genuine signature over a tampered payload → 401', async () => {
    const [header, , signature] = valid.split('.')
    const payload = base64url.encode(
      JSON.stringify({ name: 'admin', groups: [], iss: 'infra', aud: 'infra', exp: 9999999999, iat: 1 }),
    )
    await refused(`${header}.${payload}.${signature}`)
  })

  it('without a user name → 401; with malformed groups → 401', async () => {
    await refused(await tokenWith({ omit: ['name'] }))
    await refused(await tokenWith({ groups: 'system:masters' }))
    await refused(await tokenWith({ groups: [1, 2] }))
  })

  it('a reserved user name (system:*) → 403 even when it holds a grant', async () => {
    fixture.setAccess(new AccessList(new Set(['alice', 'system:admin']), new Set(['devs'])))
    await refused(await tokenWith({ name: 'system:admin' }), 403)
    await refused(await tokenWith({ name: 'System:Admin' }), 403)
    fixture.setAccess(new AccessList(new Set(['alice', 'bob', 'ünïcödé']), new Set(['devs'])))
  })

  it('a user without a grant → 403', async () => {
    await refused(await tokenWith({ name: 'mallory' }), 403)
  })

  it('a system:masters group claim grants nothing: the group is not impersonated', async () => {
    proven = [{ name: 'bob', groups: ['system:masters', 'devs'] }]
    const response = await get(
      '/api/v1/pods',
      [],
      await tokenWith({ name: 'bob', groups: ['system:masters', 'devs'] }),
    )
    expect(response.status).toBe(200)
    expect(headerValues(fixture.upstream.requests[0]!.rawHeaders, 'impersonate-group')).toEqual(['devs'])
  })

  it('a system:masters group alone does not count as a grant → 403', async () => {
    fixture.setAccess(new AccessList(new Set(), new Set(['system:masters'])))
    await refused(await tokenWith({ name: 'mallory', groups: ['system:masters'] }), 403)
    fixture.setAccess(new AccessList(new Set(['alice', 'bob', 'ünïcödé']), new Set(['devs'])))
  })

  it('sends one Impersonate-Group line per group, commas included, and UTF-8 names as bytes', async () => {
    proven = [{ name: 'ünïcödé', groups: ['devs', 'a,b', 'ops team'] }]
    const response = await get(
      '/api/v1/pods',
      [],
      await tokenWith({ name: 'ünïcödé', groups: ['devs', 'a,b', 'ops team', 'devs'] }),
    )
    expect(response.status).toBe(200)
    const headers = fixture.upstream.requests[0]!.rawHeaders
    expect(headerValues(headers, 'impersonate-group')).toEqual(['devs', 'a,b', 'ops team'])
    expect(Buffer.from(headerValues(headers, 'impersonate-user')[0]!, 'latin1').toString('utf8')).toBe(
      'ünïcödé',
    )
  })
})

describe('request targets and framing', () => {
  it.each([
    ['dot segments', '/api/../api/v1/secrets'],
    ['dot segments at the end', '/api/v1/namespaces/web/..'],
    ['encoded slashes', '/api/v1/namespaces/web%2F..%2Fkube-system/secrets'],
    ['encoded dots', '/api/v1/namespaces/%2e%2e/secrets'],
    ['a backslash', '/api/v1/namespaces\\kube-system/secrets'],
    ['absolute form', 'http://kubernetes.default/api/v1/secrets'],
    ['a scheme-relative target', '//evil.example/api'],
    ['asterisk form', '*'],
  ])('%s → 400', async (_name, target) => {
    const response = await request([`GET ${target} HTTP/1.1`, `Authorization: Bearer ${valid}`])
    expect(response.status).toBe(400)
    expect(fixture.upstream.requests).toHaveLength(0)
  })

  it('oversized headers → 431, nothing forwarded', async () => {
    const response = await get('/api/v1/pods', [`X-Big: ${'a'.repeat(40_000)}`])
    expect(response.status).toBe(431)
    expect(fixture.upstream.requests).toHaveLength(0)
  })

  it('Content-Length with Transfer-Encoding (request smuggling) → 400', async () => {
    const response = await request(
      [
        'POST /api/v1/namespaces/web/configmaps HTTP/1.1',
        `Authorization: Bearer ${valid}`,
        'Content-Length: 4',
        'Transfer-Encoding: chunked',
      ],
      '0\r\n\r\nGET /api/v1/secrets HTTP/1.1\r\nImpersonate-User: admin\r\n\r\n',
    )
    expect(response.status).toBe(400)
    expect(fixture.upstream.requests).toHaveLength(0)
  })

  it('a pipelined second request is checked on its own', async () => {
    const first = [
      `GET /api/v1/pods HTTP/1.1`,
      'Host: localhost',
      `Authorization: Bearer ${valid}`,
      '',
      '',
    ].join('\r\n')
    const second = [
      'GET /api/v1/secrets HTTP/1.1',
      'Host: localhost',
      `Authorization: Bearer ${valid}`,
      'Impersonate-User: admin',
      'Connection: close',
      '',
      '',
    ].join('\r\n')
    const response = await rawRequest(fixture, first + second)
    expect(response.status).toBe(200)
    // Wait for the second answer (the connection closes after it).
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(fixture.upstream.requests.map((recorded) => recorded.url)).toEqual(['/api/v1/pods'])
  })

  it('writes one audit line per request, without the token', async () => {
    fixture.logs.length = 0
    await get('/api/v1/namespaces/web/pods?watch=1&timeoutSeconds=1')
    await get('/api/v1/pods', ['Impersonate-User: admin'])
    const lines = fixture.logs.map((line) => JSON.parse(line)).filter((line) => line.audit)
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatchObject({
      user: 'alice',
      groups: ['devs'],
      verb: 'watch',
      path: '/api/v1/namespaces/web/pods',
      status: 200,
    })
    expect(typeof lines[0].durationMs).toBe('number')
    expect(lines[1]).toMatchObject({ status: 400 })
    expect(fixture.logs.join('\n')).not.toContain(valid)
    expect(fixture.logs.join('\n')).not.toContain(valid.split('.')[2])
  })
})
