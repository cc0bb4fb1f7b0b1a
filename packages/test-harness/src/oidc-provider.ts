// A real OpenID Provider (oidc-provider, certified) on loopback for login tests: one confidential client, PKCE
// required, refresh tokens, accounts with an email and groups (remove one and its refresh tokens stop working), and
// its development login and consent pages, which a headless browser (or `signInWithForms` below) fills in.
import { createHash, randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface TestAccount {
  email: string
  groups: string[]
}

export interface TestIdentityProvider {
  issuer: string
  clientID: string
  clientSecret: string
  /** Accounts by login name (what the login page asks for); change them between logins. */
  accounts: Map<string, TestAccount>
  /** Every refresh token it has handed out, e.g. for a scan that no log holds one. */
  issuedRefreshTokens: readonly string[]
  close(): Promise<void>
}

/** oidc-provider's notices say that this is a development setup, which a test IdP is: they are dropped. */
function quietNotices(): void {
  for (const level of ['info', 'warn'] as const) {
    const original = console[level].bind(console)
    console[level] = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].startsWith('oidc-provider ')) return
      original(...args)
    }
  }
}
let quieted = false

export async function startOidcProvider(): Promise<TestIdentityProvider> {
  if (!quieted) {
    quieted = true
    quietNotices()
  }
  // Imported after quieting: it warns about Node 20 as it loads (it works on it).
  const { default: Provider } = await import('oidc-provider')
  const clientID = `infra-${randomBytes(4).toString('hex')}`
  const clientSecret = randomBytes(24).toString('hex')
  const accounts = new Map<string, TestAccount>()
  // The port is known only after listening, and the issuer must name it: listen first, then attach.
  const server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientID,
        client_secret: clientSecret,
        // A command-line client listens on a loopback port of its choosing (RFC 8252).
        application_type: 'native',
        redirect_uris: ['http://127.0.0.1/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], groups: ['groups'] },
    scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
    pkce: { required: () => true },
    // Refresh tokens for every login, as a provider does when asked for offline_access.
    issueRefreshToken: () => true,
    features: { devInteractions: { enabled: true } },
    findAccount: (_ctx, id) => {
      const account = accounts.get(id)
      if (!account) return undefined
      return {
        accountId: id,
        claims: () => ({ sub: id, email: account.email, email_verified: true, groups: account.groups }),
      }
    },
    // ID tokens carry the claims asked for, as most providers do, so no userinfo call is needed.
    conformIdTokenClaims: false,
  })
  provider.proxy = false
  const issuedRefreshTokens: string[] = []
  // An opaque token's value is its ID.
  provider.on('refresh_token.saved', (token: { jti: string }) => issuedRefreshTokens.push(token.jti))
  const handle = provider.callback()
  server.on('request', (request, response) => void handle(request, response))
  return {
    issuer,
    clientID,
    clientSecret,
    accounts,
    issuedRefreshTokens,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A PKCE verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

/**
 * Signs in at the provider's development pages without a browser (a cookie jar and the forms' fields), from
 * the authorization URL to the redirect back to the client; resolves to that redirect URL.
 */
export async function signInWithForms(
  authorizationUrl: string,
  login: string,
  redirectPrefix: string,
): Promise<URL> {
  const cookies = new Map<string, string>()
  let url = authorizationUrl
  let init: RequestInit = {}
  for (let step = 0; step < 20; step++) {
    const headers = new Headers(init.headers)
    headers.set('cookie', [...cookies].map(([name, value]) => `${name}=${value}`).join('; '))
    const response = await fetch(url, { ...init, headers, redirect: 'manual' })
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';')
      const split = pair.indexOf('=')
      cookies.set(pair.slice(0, split), pair.slice(split + 1))
    }
    const location = response.headers.get('location')
    if (location) {
      const next = new URL(location, url)
      if (next.href.startsWith(redirectPrefix)) return next
      url = next.href
      init = {}
      continue
    }
    const page = await response.text()
    const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1]
    if (!action)
      throw new Error(`no form and no redirect at ${url} (${response.status}): ${page.slice(0, 300)}`)
    const fields = new URLSearchParams()
    for (const [tag] of page.matchAll(/<input[^>]*>/g)) {
      const name = /name="([^"]*)"/.exec(tag)?.[1]
      if (name) fields.set(name, /value="([^"]*)"/.exec(tag)?.[1] ?? '')
    }
    if (fields.has('login')) fields.set('login', login)
    if (fields.has('password')) fields.set('password', 'any')
    url = new URL(action, url).href
    init = { method: 'POST', body: fields, headers: { 'content-type': 'application/x-www-form-urlencoded' } }
  }
  throw new Error('too many steps signing in')
}

/**
 * The browser's part of an authorization-code login with PKCE: signs `login` in at the provider and comes back
 * to `redirectUri` with a code; resolves to the code and the verifier the client sends with it.
 */
export async function authorizationCode(
  idp: Pick<TestIdentityProvider, 'issuer' | 'clientID'>,
  login: string,
  redirectUri: string,
  scope = 'openid email groups',
): Promise<{ code: string; codeVerifier: string }> {
  const pkce = pkcePair()
  const authorize = new URL('/auth', idp.issuer)
  authorize.search = new URLSearchParams({
    client_id: idp.clientID,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope,
    state: 'state-1',
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
  }).toString()
  const back = await signInWithForms(authorize.href, login, redirectUri)
  return { code: back.searchParams.get('code') ?? '', codeVerifier: pkce.verifier }
}
