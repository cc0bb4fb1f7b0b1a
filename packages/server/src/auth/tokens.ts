import { INFRA_RESOURCE } from '@infra/api-types'
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose'
import { randomBytes } from 'node:crypto'

const ALGORITHM = 'EdDSA'

export interface TokenClaims {
  userName: string
  groups: string[]
}

/**
 * Signs the short-lived JWTs kubectl presents to connectors, and publishes the keys that verify them.
 * The key lives in memory for the life of the process.
 */
export class TokenSigner {
  private constructor(
    private readonly privateKey: CryptoKey,
    private readonly publicJwk: JWK,
    private readonly issuer: string,
    readonly lifetimeMs: number,
  ) {}

  static async create(issuer: string, lifetimeMs: number): Promise<TokenSigner> {
    const { privateKey, publicKey } = await generateKeyPair(ALGORITHM, { crv: 'Ed25519', extractable: true })
    const jwk = await exportJWK(publicKey)
    const kid = randomBytes(8).toString('hex')
    return new TokenSigner(privateKey, { ...jwk, kid, alg: ALGORITHM, use: 'sig' }, issuer, lifetimeMs)
  }

  async sign(claims: TokenClaims): Promise<{ token: string; expires: Date }> {
    const expires = new Date(Date.now() + this.lifetimeMs)
    const token = await new SignJWT({ name: claims.userName, groups: claims.groups })
      .setProtectedHeader({ alg: ALGORITHM, kid: this.publicJwk.kid as string, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setSubject(claims.userName)
      .setAudience(INFRA_RESOURCE)
      .setIssuedAt()
      .setExpirationTime(Math.floor(expires.getTime() / 1000))
      .sign(this.privateKey)
    return { token, expires }
  }

  jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] }
  }
}
