import type * as OpenId from 'openid-client'
import { z } from 'zod'
import type { SecretBox } from './secret-box.js'

/** What a login through an identity provider establishes: who the user is and the groups the provider names. */
export interface ProviderIdentity {
  name: string
  groups: string[]
  /** For asking the provider again later (when it gives one: `offline_access`), sealed with the root key. */
  sealedRefreshToken?: string
}

/** The provider no longer accepts the session (user removed or disabled, consent withdrawn). */
export class ProviderSessionEnded extends Error {
  override readonly name = 'ProviderSessionEnded'
}

/** The identity provider refused the login, or could not be asked; the message is safe to show the user. */
export class ProviderLoginError extends Error {
  override readonly name = 'ProviderLoginError'
}

export interface StoredProvider {
  id: string
  url: string
  clientID: string
  /** Sealed with the root key. */
  clientSecret: string
  updated: Date
}

const Claims = z.looseObject({
  sub: z.string(),
  email: z.string().optional(),
  preferred_username: z.string().optional(),
  groups: z.union([z.array(z.string()), z.string()]).optional(),
})

const openid = () => import('openid-client')

/**
 * Logs users in through OpenID Connect providers: discovery (cached per provider), the authorization-code
 * exchange with PKCE on the server (the client secret never leaves it), and the user's name and groups from the
 * ID token, or from userinfo when the token lacks them.
 */
export class OidcLogins {
  private readonly configurations = new Map<
    string,
    { updated: number; config: Promise<OpenId.Configuration> }
  >()

  constructor(private readonly secrets: SecretBox) {}

  /** The provider's authorization endpoint, for clients starting a browser login. */
  async authorizationEndpoint(provider: StoredProvider): Promise<string> {
    const config = await this.configuration(provider)
    return config.serverMetadata().authorization_endpoint ?? ''
  }

  async exchange(
    provider: StoredProvider,
    login: { code: string; redirectURL: string; codeVerifier?: string | undefined },
  ): Promise<ProviderIdentity> {
    const client = await openid()
    const config = await this.configuration(provider)
    let redirect: URL
    try {
      redirect = new URL(login.redirectURL)
    } catch {
      throw new ProviderLoginError('redirectURL is not a URL')
    }
    // What the browser came back with: the code, and the issuer (RFC 9207), which the client checked.
    redirect.search = ''
    redirect.searchParams.set('code', login.code)
    redirect.searchParams.set('iss', config.serverMetadata().issuer)
    try {
      const tokens = await client.authorizationCodeGrant(config, redirect, {
        expectedState: client.skipStateCheck,
        ...(login.codeVerifier ? { pkceCodeVerifier: login.codeVerifier } : {}),
        idTokenExpected: true,
      })
      return await this.identityFrom(config, tokens)
    } catch (error) {
      if (error instanceof ProviderLoginError) throw error
      throw new ProviderLoginError(`the identity provider refused the login: ${describe(error)}`)
    }
  }

  /**
   * Asks the provider again with a session's refresh token: who the user is now and their groups. Throws
   * ProviderSessionEnded when the provider refuses the token, anything else when it cannot be asked.
   */
  async refresh(provider: StoredProvider, sealedRefreshToken: string): Promise<ProviderIdentity> {
    const client = await openid()
    const config = await this.configuration(provider)
    const refreshToken = this.secrets.openText(sealedRefreshToken)
    let tokens: OpenId.TokenEndpointResponse & OpenId.TokenEndpointResponseHelpers
    try {
      tokens = await client.refreshTokenGrant(config, refreshToken)
    } catch (error) {
      if ((error as { error?: unknown }).error === 'invalid_grant')
        throw new ProviderSessionEnded(describe(error))
      throw error
    }
    return { sealedRefreshToken, ...(await this.identityFrom(config, tokens)) }
  }

  private async identityFrom(
    config: OpenId.Configuration,
    tokens: OpenId.TokenEndpointResponse & OpenId.TokenEndpointResponseHelpers,
  ): Promise<ProviderIdentity> {
    const client = await openid()
    const idClaims = tokens.claims()
    let claims = idClaims ? Claims.parse(idClaims) : undefined
    if (!claims?.email && !claims?.preferred_username) {
      const subject = claims?.sub ?? client.skipSubjectCheck
      claims = Claims.parse(await client.fetchUserInfo(config, tokens.access_token, subject))
    }
    const name = claims.email ?? claims.preferred_username
    if (!name) throw new ProviderLoginError('the identity provider did not say who logged in (no email)')
    const groups = claims.groups === undefined ? [] : [claims.groups].flat()
    return {
      name,
      groups: [...new Set(groups.filter((group) => group.trim() !== ''))],
      ...(tokens.refresh_token ? { sealedRefreshToken: this.secrets.sealText(tokens.refresh_token) } : {}),
    }
  }

  /** One discovery per provider, done again when the provider is edited (and after a failure). */
  private configuration(provider: StoredProvider): Promise<OpenId.Configuration> {
    const updated = provider.updated.getTime()
    const cached = this.configurations.get(provider.id)
    if (cached?.updated === updated) return cached.config
    const entry = { updated, config: this.discover(provider) }
    this.configurations.set(provider.id, entry)
    entry.config.catch(() => {
      if (this.configurations.get(provider.id) === entry) this.configurations.delete(provider.id)
    })
    return entry.config
  }

  private async discover(provider: StoredProvider): Promise<OpenId.Configuration> {
    const client = await openid()
    const secret = this.secrets.openText(provider.clientSecret)
    const issuer = new URL(provider.url)
    try {
      return await client.discovery(
        issuer,
        provider.clientID,
        secret,
        undefined,
        // Plain http only for a provider on this machine (development, tests).
        isLoopback(issuer) ? { execute: [client.allowInsecureRequests], timeout: 10 } : { timeout: 10 },
      )
    } catch (error) {
      throw new ProviderLoginError(
        `could not read the identity provider's configuration at ${provider.url}: ${(error as Error).message}`,
      )
    }
  }
}

/** An OAuth error answer (invalid_grant, invalid_client, ...) says more than the library's message. */
function describe(error: unknown): string {
  const oauth = error as { error?: unknown; error_description?: unknown }
  if (typeof oauth.error !== 'string') return (error as Error).message
  return `${oauth.error}${typeof oauth.error_description === 'string' ? ` (${oauth.error_description})` : ''}`
}

function isLoopback(url: URL): boolean {
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)
}
