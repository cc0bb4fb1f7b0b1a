// Logging in through an identity provider: a real OpenID Provider on loopback, the authorization-code flow with
// PKCE, and the server exchanging the code with its sealed client secret.
import {
  authorizationCode,
  pkcePair,
  startOidcProvider,
  type TestIdentityProvider,
} from '@infra/test-harness/oidc'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startTestServer, uniqueName, type TestServer } from './harness.js'
import { collectingLogger, eventually } from './helpers.js'

const REDIRECT = 'http://127.0.0.1:43210/callback'

const log = collectingLogger()
let t: TestServer
let idp: TestIdentityProvider
let providerID: string

beforeAll(async () => {
  // Sessions are checked with the provider every 200 ms instead of every 5 minutes.
  ;[t, idp] = await Promise.all([
    startTestServer({ settings: { providerSessionCheckMs: 200 }, logger: log.logger }),
    startOidcProvider(),
  ])
  const created = await t.request<{ id: string; authURL: string }>('POST', '/api/providers', {
    body: { name: 'test-idp', url: idp.issuer, clientID: idp.clientID, clientSecret: idp.clientSecret },
  })
  expect(created.status).toBe(201)
  providerID = created.body.id
})

afterAll(async () => {
  await t?.close()
  await idp?.close()
})

/** The browser's part: sign in at the provider, come back with a code. */
const codeFor = (login: string, scope?: string) => authorizationCode(idp, login, REDIRECT, scope)

const login = (oidc: Record<string, unknown>) =>
  t.request<any>('POST', '/api/login', {
    body: { oidc: { providerID, redirectURL: REDIRECT, ...oidc } },
    key: null,
  })

describe('login through an OpenID Connect provider', () => {
  it('creates the user with the groups the provider names, and gives a working key', async () => {
    const email = `${uniqueName('oidc')}@example.com`
    idp.accounts.set('ada', { email, groups: ['oidc-devs', 'oidc-ops'] })
    const answer = await login(await codeFor('ada'))
    expect(answer.status).toBe(201)
    expect(answer.body.name).toBe(email)

    const self = await t.request<any>('GET', '/api/users/self', { key: answer.body.accessKey })
    expect(self.status).toBe(200)
    expect(self.body.providerNames).toEqual(['test-idp'])
    const groups = await t.request<any>('GET', '/api/groups', { query: { userID: answer.body.userID } })
    expect(groups.body.items.map((group: any) => group.name).sort()).toEqual(['oidc-devs', 'oidc-ops'])

    const provider = await t.request<any>('GET', `/api/providers/${providerID}`, { key: null })
    expect(provider.body.authURL).toBe(`${idp.issuer}/auth`)
  })

  it('takes away the groups the provider no longer names at the next login, not those given by hand', async () => {
    const email = `${uniqueName('oidc')}@example.com`
    idp.accounts.set('bob', { email, groups: ['oidc-a', 'oidc-b'] })
    const first = await login(await codeFor('bob'))
    expect(first.status).toBe(201)
    const manual = await t.request<any>('POST', '/api/groups', { body: { name: uniqueName('manual') } })
    await t.request('PATCH', `/api/groups/${manual.body.id}/users`, {
      body: { usersToAdd: [first.body.userID] },
    })

    idp.accounts.set('bob', { email, groups: ['oidc-b', 'oidc-c'] })
    const second = await login(await codeFor('bob'))
    expect(second.body.userID).toBe(first.body.userID)
    const groups = await t.request<any>('GET', '/api/groups', { query: { userID: first.body.userID } })
    expect(groups.body.items.map((group: any) => group.name).sort()).toEqual(
      [manual.body.name, 'oidc-b', 'oidc-c'].sort(),
    )
  })

  it('leaves out the groups Kubernetes reserves (system:*), saying so in the log, and refuses such a user', async () => {
    const email = `${uniqueName('oidc')}@example.com`
    idp.accounts.set('mallory', { email, groups: ['oidc-fine', 'system:masters', ' System:Nodes'] })
    const answer = await login(await codeFor('mallory'))
    expect(answer.status).toBe(201)
    const groups = await t.request<any>('GET', '/api/groups', { query: { userID: answer.body.userID } })
    expect(groups.body.items.map((group: any) => group.name)).toEqual(['oidc-fine'])
    const all = await t.request<any>('GET', '/api/groups', { query: { limit: 1000 } })
    expect(all.body.items.filter((group: any) => /system:/i.test(group.name))).toEqual([])
    const skipped = log
      .text()
      .split('\n')
      .filter((line) => line.includes('left out a group the identity provider named'))
      .map((line) => JSON.parse(line))
    // Once per login and per session check with the provider.
    expect(new Set(skipped.map((line) => line.group))).toEqual(new Set(['system:masters', ' System:Nodes']))
    for (const line of skipped)
      expect(line).toMatchObject({
        level: 40,
        provider: 'test-idp',
        reason: 'must not begin with "system:" (reserved for Kubernetes)',
      })

    idp.accounts.set('intruder', { email: 'system:admin', groups: [] })
    const refused = await login(await codeFor('intruder'))
    expect(refused.status).toBe(401)
    expect(refused.body.message).toBe(
      'the identity provider\'s user name "system:admin" is not valid: must not begin with "system:" (reserved for Kubernetes)',
    )
  })

  it('gives two simultaneous first logins of one person the same new user', async () => {
    const email = `${uniqueName('oidc')}@example.com`
    idp.accounts.set('twin', { email, groups: [uniqueName('oidc-new-group')] })
    const codes = [await codeFor('twin'), await codeFor('twin')]
    const answers = await Promise.all(codes.map((code) => login(code)))
    expect(answers.map((answer) => answer.status)).toEqual([201, 201])
    expect(answers[0]?.body.userID).toBe(answers[1]?.body.userID)
  })

  it('follows the provider between logins: groups change, and a user it no longer knows loses the session', async () => {
    const email = `${uniqueName('oidc')}@example.com`
    const [before, after] = [uniqueName('oidc-before'), uniqueName('oidc-after')]
    idp.accounts.set('kim', { email, groups: [before] })
    const answer = await login(await codeFor('kim'))
    expect(answer.status).toBe(201)
    const groupsOf = async () =>
      (await t.request<any>('GET', '/api/groups', { query: { userID: answer.body.userID } })).body.items.map(
        (group: any) => group.name,
      )
    expect(await groupsOf()).toEqual([before])

    idp.accounts.set('kim', { email, groups: [after] })
    await eventually(async () => expect(await groupsOf()).toEqual([after]))

    idp.accounts.delete('kim')
    await eventually(async () =>
      expect((await t.request('GET', '/api/users/self', { key: answer.body.accessKey })).status).toBe(401),
    )
    // Tokens already handed out stop opening doors too: the groups the provider vouched for are gone.
    expect(await groupsOf()).toEqual([])
  })

  it('refuses a used, forged or unverified code with 401, and an unknown provider with 400', async () => {
    idp.accounts.set('eve', { email: `${uniqueName('oidc')}@example.com`, groups: [] })
    const { code, codeVerifier } = await codeFor('eve')
    const wrongVerifier = await login({ code, codeVerifier: pkcePair().verifier })
    expect(wrongVerifier.status).toBe(401)
    expect(wrongVerifier.body.message).toMatch(/identity provider refused the login/)

    const fresh = await codeFor('eve')
    expect((await login(fresh)).status).toBe(201)
    expect((await login(fresh)).status).toBe(401) // codes are single-use
    expect((await login({ code: 'forged-code-value', codeVerifier })).status).toBe(401)

    const unknown = await t.request<any>('POST', '/api/login', {
      body: { oidc: { providerID: 'AbCdEfGhJk', redirectURL: REDIRECT, code } },
      key: null,
    })
    expect(unknown.status).toBe(400)
    expect(unknown.body.fieldErrors).toEqual([{ fieldName: 'oidc.providerID', errors: ['no such provider'] }])
  })
})
