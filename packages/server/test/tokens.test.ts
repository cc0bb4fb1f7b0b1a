import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createLocalJWKSet, jwtVerify, type JWK } from 'jose'
import { createPublicKey, verify, type JsonWebKey as NodeJwk } from 'node:crypto'
import { startTestServer, uniqueName, type TestServer } from './harness.js'
import { expectFieldErrors } from './helpers.js'

let t: TestServer

beforeAll(async () => {
  t = await startTestServer({ tokenLifetimeMs: 2_000, tokenKeyRotationMs: 60_000 })
})
afterAll(() => t.close())

const jwks = async () =>
  (await t.request<{ keys: JWK[] }>('GET', '/.well-known/jwks.json', { key: null })).body

/** Verification by hand with node:crypto, independent of the library that signed. */
function verifyIndependently(token: string, keys: JWK[]) {
  const [header, payload, signature] = token.split('.') as [string, string, string]
  const { kid, alg } = JSON.parse(Buffer.from(header, 'base64url').toString()) as { kid: string; alg: string }
  const jwk = keys.find((key) => key.kid === kid)
  if (!jwk || alg !== 'EdDSA') return undefined
  const publicKey = createPublicKey({ key: jwk as NodeJwk, format: 'jwk' })
  const valid = verify(
    null,
    Buffer.from(`${header}.${payload}`),
    publicKey,
    Buffer.from(signature, 'base64url'),
  )
  return valid
    ? (JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>)
    : undefined
}

describe('tokens for kubectl', () => {
  it("carry the user's name and groups and the one destination they are for, signed by a published key", async () => {
    const user = await t.userWithRole('none')
    const group = await t.request<any>('POST', '/api/groups', { body: { name: uniqueName('devs') } })
    await t.request('PATCH', `/api/groups/${group.body.id}/users`, { body: { usersToAdd: [user.id] } })
    const issued = await t.request<{ token: string; expires: string }>('POST', '/api/tokens', {
      key: user.key,
      body: { destination: 'production' },
    })
    expect(issued.status).toBe(201)
    const claims = verifyIndependently(issued.body.token, (await jwks()).keys)
    expect(claims).toMatchObject({
      name: user.name,
      sub: user.name,
      groups: [group.body.name],
      aud: ['infra', 'production'],
    })
    const lifetime = (claims?.exp as number) - (claims?.iat as number)
    expect(lifetime).toBe(2)
    expect(new Date(issued.body.expires).getTime()).toBeGreaterThan(Date.now())
  })

  it("name no destination when asked without one, as Infra's own CLI asks", async () => {
    for (const body of [undefined, {}, { destination: '' }, { destination: null }]) {
      const issued = await t.request<{ token: string }>('POST', '/api/tokens', body ? { body } : {})
      expect(issued.status).toBe(201)
      expect(verifyIndependently(issued.body.token, (await jwks()).keys)).toMatchObject({ aud: 'infra' })
    }
  })

  it('are refused (400) for a destination name no connector can have', async () => {
    for (const destination of [
      'infra',
      ' production',
      'production ',
      'prod.web',
      'a/b',
      'x'.repeat(254),
      7,
      ['a', 'b'],
    ]) {
      expectFieldErrors(await t.request('POST', '/api/tokens', { body: { destination } }), ['destination'])
    }
  })

  it('rejects tampered and expired tokens', async () => {
    const { token } = (await t.request<{ token: string }>('POST', '/api/tokens')).body
    const keySet = createLocalJWKSet(await jwks())
    await expect(jwtVerify(token, keySet, { issuer: 'infra', audience: 'infra' })).resolves.toBeDefined()
    const [header, payload, signature] = token.split('.') as [string, string, string]
    const forged = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(payload, 'base64url').toString()),
        name: 'admin',
        groups: ['root'],
      }),
    ).toString('base64url')
    await expect(jwtVerify(`${header}.${forged}.${signature}`, keySet)).rejects.toThrow()
    expect(verifyIndependently(`${header}.${forged}.${signature}`, (await jwks()).keys)).toBeUndefined()
    await new Promise((resolve) => setTimeout(resolve, 3_100))
    await expect(jwtVerify(token, keySet)).rejects.toThrow(/exp/)
  })

  it('publishes the next key before it signs, and keeps a retired key until its tokens expired', async () => {
    const signer = t.server.ctx.tokens
    const before = (await jwks()).keys.map((key) => key.kid)
    expect(before.length).toBeGreaterThanOrEqual(2)
    const { token } = (await t.request<{ token: string }>('POST', '/api/tokens')).body
    const signingKid = JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()).kid
    const nextKid = before.find((kid) => kid !== signingKid)

    const { retiresAt } = await t.server.ctx.db.signingKey.findUniqueOrThrow({ where: { kid: signingKid } })
    // Just past the current key's retirement its published successor signs, and the old key is still
    // published for tokens signed in its last moments (2 s lifetime here).
    await signer.rotate(new Date(retiresAt.getTime() + 1_000))
    const after = (await jwks()).keys.map((key) => key.kid)
    expect(after).toContain(signingKid)
    expect(after).toContain(nextKid)

    // Once every token of the old key has expired, it is no longer published.
    await signer.rotate(new Date(retiresAt.getTime() + 2_500))
    expect((await jwks()).keys.map((key) => key.kid)).not.toContain(signingKid)
  })
})
