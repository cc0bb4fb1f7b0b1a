import { tokenAudience } from '@infra/api-types'
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose'
import { randomBytes } from 'node:crypto'
import { newId } from '../db/ids.js'
import type { Database } from '../db/prisma.js'
import type { FailureLog } from '../db/availability.js'
import type { SecretBox } from './secret-box.js'

const ALGORITHM = 'EdDSA'
const ROTATION_LOCK = 7_342_005

export interface TokenClaims {
  userName: string
  groups: string[]
  /** The one destination whose connector may accept the token; undefined for Infra's own CLI, which names none. */
  destination: string | undefined
}

export interface TokenSignerOptions {
  issuer: string
  /** How long a token is valid. */
  lifetimeMs: number
  /** How long one key signs before its successor takes over. */
  rotationMs: number
}

interface LoadedKey {
  kid: string
  publicJwk: JWK
  activatesAt: Date
  retiresAt: Date
  signingKey: Promise<CryptoKey | Uint8Array>
}

/**
 * Signs the short-lived JWTs kubectl presents to connectors, and publishes the keys that verify them.
 * Keys live in the database, encrypted, shared by every replica. The next key is always published before it
 * signs anything, and a retired key stays published until every token it signed has expired.
 */
export class TokenSigner {
  private keys: LoadedKey[] = []
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly db: Database,
    private readonly box: SecretBox,
    private readonly failures: FailureLog,
    readonly options: TokenSignerOptions,
  ) {}

  async start(): Promise<void> {
    await this.rotate()
    this.timer = setInterval(
      () =>
        void this.rotate().catch((error: unknown) =>
          this.failures.failed(error, 'signing key rotation failed'),
        ),
      Math.min(this.options.rotationMs / 4, 60_000),
    )
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
  }

  /** Makes sure a current and a next key exist, drops keys no token can need any more, and reloads. */
  async rotate(now = new Date()): Promise<void> {
    await this.db.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${ROTATION_LOCK})`
      await tx.signingKey.deleteMany({
        where: { retiresAt: { lt: new Date(now.getTime() - this.options.lifetimeMs) } },
      })
      const existing = await tx.signingKey.findMany({ orderBy: { activatesAt: 'asc' } })
      let current = existing.find((key) => key.activatesAt <= now && now < key.retiresAt)
      if (!current) current = await tx.signingKey.create({ data: await this.newKey(now) })
      const successorStart = current.retiresAt
      if (!existing.some((key) => key.activatesAt.getTime() === successorStart.getTime())) {
        await tx.signingKey.create({ data: await this.newKey(successorStart) })
      }
    })
    const stored = await this.db.signingKey.findMany({ orderBy: { activatesAt: 'asc' } })
    this.keys = stored.map((key) => ({
      kid: key.kid,
      publicJwk: key.publicJwk as JWK,
      activatesAt: key.activatesAt,
      retiresAt: key.retiresAt,
      signingKey:
        this.keys.find((loaded) => loaded.kid === key.kid)?.signingKey ??
        importJWK(JSON.parse(this.unseal(key.privateKeyEncrypted)) as JWK, ALGORITHM),
    }))
  }

  private unseal(sealed: Uint8Array): string {
    try {
      return this.box.decrypt(sealed)
    } catch (error) {
      throw new Error(
        'cannot decrypt the signing keys in the database: every server sharing it needs the same root key (INFRA_ROOT_KEY or --root-key-file)',
        { cause: error },
      )
    }
  }

  private async newKey(activatesAt: Date) {
    const { privateKey, publicKey } = await generateKeyPair(ALGORITHM, { crv: 'Ed25519', extractable: true })
    const kid = randomBytes(12).toString('base64url')
    return {
      id: newId(),
      kid,
      algorithm: ALGORITHM,
      publicJwk: { ...(await exportJWK(publicKey)), kid, alg: ALGORITHM, use: 'sig' },
      privateKeyEncrypted: this.box.encrypt(JSON.stringify(await exportJWK(privateKey))),
      activatesAt,
      retiresAt: new Date(activatesAt.getTime() + this.options.rotationMs),
    }
  }

  private async currentKey(now: Date): Promise<LoadedKey> {
    const pick = () => this.keys.find((key) => key.activatesAt <= now && now < key.retiresAt)
    const key = pick() ?? (await this.rotate(now), pick())
    if (!key) throw new Error('no signing key is active')
    return key
  }

  async sign(claims: TokenClaims): Promise<{ token: string; expires: Date }> {
    const now = new Date()
    const key = await this.currentKey(now)
    const expires = new Date(now.getTime() + this.options.lifetimeMs)
    const token = await new SignJWT({ name: claims.userName, groups: claims.groups })
      .setProtectedHeader({ alg: ALGORITHM, kid: key.kid, typ: 'JWT' })
      .setIssuer(this.options.issuer)
      .setSubject(claims.userName)
      .setAudience(tokenAudience(claims.destination))
      .setIssuedAt(Math.floor(now.getTime() / 1000))
      .setExpirationTime(Math.floor(expires.getTime() / 1000))
      .sign(await key.signingKey)
    return { token, expires }
  }

  /**
   * Every key that may verify a valid token now, and the next one, published ahead of use. The key signing now
   * comes first: Infra's own connector verifies with the first key of the set alone.
   */
  jwks(now = new Date()): { keys: JWK[] } {
    const signing = (key: LoadedKey) => (key.activatesAt <= now && now < key.retiresAt ? 0 : 1)
    return { keys: [...this.keys].sort((a, b) => signing(a) - signing(b)).map((key) => key.publicJwk) }
  }
}
