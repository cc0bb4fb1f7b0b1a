import { isAudienceOf } from '@infra/api-types'
import { errors as joseErrors, importJWK, jwtVerify, type JWK, type JWTPayload } from 'jose'
import { createHash } from 'node:crypto'

export const TOKEN_ISSUER = 'infra'
/** Asymmetric algorithms only: `none` and HMAC (which would take the public key as a secret) never verify. */
const ALLOWED_ALGORITHMS = [
  'EdDSA',
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
]

export interface TokenIdentity {
  name: string
  groups: string[]
  /** Expiry, in ms since the epoch. */
  expires: number
}

export class TokenError extends Error {
  override readonly name = 'TokenError'
}

export interface KeySource {
  /** The current key set of the Infra server. */
  fetchKeys(): Promise<{ keys: Array<Record<string, unknown>> }>
}

type Key = Awaited<ReturnType<typeof importJWK>>

export interface TokenVerifierOptions {
  /** Minimum time between two key fetches caused by unknown `kid`s. Default 10 s. */
  refetchCooldownMs?: number
  /** Keys are re-fetched this often regardless. Default 10 min. */
  refreshIntervalMs?: number
  /** Clock skew tolerated on exp/nbf/iat. Default 10 s. */
  clockToleranceSec?: number
  /** How many verified tokens to remember. Default 10 000. */
  cacheSize?: number
}

/**
 * Verifies the JWTs of `POST /api/tokens` against the Infra server's JWKS: the keys are cached, fetched again
 * (at most once per cooldown) when a token names an unknown `kid`, and refreshed periodically. Only tokens for
 * this connector's destination pass, so a token shown to one cluster cannot be replayed at another. Verified
 * tokens are remembered by their hash until they expire, so repeated requests cost one map lookup.
 */
export class TokenVerifier {
  private keys = new Map<string, { jwk: JWK; key: Promise<Key> }>()
  private lastFetch = 0
  private fetching: Promise<void> | undefined
  private readonly verified = new Map<string, TokenIdentity>()
  private readonly cooldown: number
  private readonly refreshInterval: number
  private readonly tolerance: number
  private readonly cacheSize: number

  constructor(
    private readonly source: KeySource,
    /** The destination this connector serves: the one a token must be for. */
    private readonly destination: string,
    options: TokenVerifierOptions = {},
  ) {
    this.cooldown = options.refetchCooldownMs ?? 10_000
    this.refreshInterval = options.refreshIntervalMs ?? 10 * 60_000
    this.tolerance = options.clockToleranceSec ?? 10
    this.cacheSize = options.cacheSize ?? 10_000
  }

  get keyCount(): number {
    return this.keys.size
  }

  /** Fetches the key set (deduplicating concurrent calls). */
  refresh(): Promise<void> {
    this.fetching ??= (async () => {
      try {
        this.lastFetch = Date.now()
        const { keys } = await this.source.fetchKeys()
        const next = new Map<string, { jwk: JWK; key: Promise<Key> }>()
        for (const raw of keys) {
          const jwk = raw as JWK
          if (typeof jwk.kid !== 'string' || (jwk.use !== undefined && jwk.use !== 'sig')) continue
          if (jwk.kty === 'oct' || jwk.d !== undefined) continue // never a secret or private key
          const previous = this.keys.get(jwk.kid)
          const same = previous && JSON.stringify(previous.jwk) === JSON.stringify(jwk)
          const key = same ? previous.key : importJWK(jwk, jwk.alg)
          key.catch(() => undefined)
          next.set(jwk.kid, { jwk, key })
        }
        this.keys = next
        // A key that left the set must not keep validating cached tokens.
        for (const [hash, identity] of this.verified) {
          if (!next.has((identity as TokenIdentity & { kid?: string }).kid ?? '')) this.verified.delete(hash)
        }
      } finally {
        this.fetching = undefined
      }
    })()
    return this.fetching
  }

  private async keyFor(kid: string): Promise<Key | undefined> {
    let entry = this.keys.get(kid)
    const stale = Date.now() - this.lastFetch > this.refreshInterval
    if ((!entry && Date.now() - this.lastFetch >= this.cooldown) || stale) {
      try {
        await this.refresh()
      } catch {
        // Keep using the keys we have.
      }
      entry = this.keys.get(kid)
    }
    return entry?.key
  }

  /** The identity a bearer token proves, or a TokenError. */
  async verify(token: string): Promise<TokenIdentity> {
    const now = Date.now()
    const hash = createHash('sha256').update(token).digest('base64url')
    const cached = this.verified.get(hash)
    if (cached) {
      if (cached.expires + this.tolerance * 1000 > now) return cached
      this.verified.delete(hash)
      throw new TokenError('token expired')
    }
    if (token.length > 8192 || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) {
      throw new TokenError('malformed token')
    }
    let header: { alg?: unknown; kid?: unknown; crit?: unknown }
    try {
      header = JSON.parse(
        Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8'),
      ) as typeof header
    } catch {
      throw new TokenError('malformed token header')
    }
    if (typeof header.alg !== 'string' || !ALLOWED_ALGORITHMS.includes(header.alg)) {
      throw new TokenError('token algorithm not allowed')
    }
    if (typeof header.kid !== 'string') throw new TokenError('token has no key id')
    const key = await this.keyFor(header.kid)
    if (!key) throw new TokenError('token signed by an unknown key')
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(token, key, {
        algorithms: ALLOWED_ALGORITHMS,
        issuer: TOKEN_ISSUER,
        clockTolerance: this.tolerance,
        requiredClaims: ['exp', 'iat'],
      }))
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new TokenError('token expired')
      if (error instanceof joseErrors.JWTClaimValidationFailed) throw new TokenError(`token ${error.message}`)
      throw new TokenError('token signature invalid')
    }
    if (!isAudienceOf(payload.aud, this.destination))
      throw new TokenError('token is not for this destination')
    if (typeof payload.iat === 'number' && payload.iat * 1000 > now + this.tolerance * 1000) {
      throw new TokenError('token issued in the future')
    }
    const name = payload.name
    const groups = payload.groups ?? []
    if (typeof name !== 'string' || name === '') throw new TokenError('token has no user name')
    if (!Array.isArray(groups) || groups.some((group) => typeof group !== 'string')) {
      throw new TokenError('token groups are invalid')
    }
    const identity: TokenIdentity & { kid: string } = {
      name,
      groups: groups as string[],
      expires: (payload.exp ?? 0) * 1000,
      kid: header.kid,
    }
    if (this.verified.size >= this.cacheSize) {
      for (const [oldHash, old] of this.verified) {
        if (old.expires <= now || this.verified.size >= this.cacheSize) this.verified.delete(oldHash)
        if (this.verified.size < this.cacheSize * 0.9) break
      }
    }
    this.verified.set(hash, identity)
    return identity
  }
}
