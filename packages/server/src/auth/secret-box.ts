import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

const VERSION = 1
const IV_BYTES = 12
const TAG_BYTES = 16

/**
 * Encrypts secrets kept at rest (signing keys, identity provider client secrets) with AES-256-GCM under the
 * root key. Layout: version byte, IV, auth tag, ciphertext.
 */
export class SecretBox {
  private readonly key: Buffer

  constructor(rootKey: string) {
    if (rootKey.trim().length < 16) throw new Error('the root key must be at least 16 characters')
    // Any high-entropy text works as a root key; hashing gives AES its 32 bytes.
    this.key = createHash('sha256').update(rootKey.trim()).digest()
  }

  encrypt(plaintext: string): Uint8Array<ArrayBuffer> {
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.key, iv)
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    return new Uint8Array(Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), ciphertext]))
  }

  /** The same as text (base64), for a secret kept in a text column. */
  sealText(plaintext: string): string {
    return Buffer.from(this.encrypt(plaintext)).toString('base64')
  }

  openText(sealed: string): string {
    return this.decrypt(Buffer.from(sealed, 'base64'))
  }

  decrypt(sealed: Uint8Array): string {
    const blob = Buffer.from(sealed)
    if (blob[0] !== VERSION) throw new Error('unknown encrypted secret format')
    const iv = blob.subarray(1, 1 + IV_BYTES)
    const tag = blob.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES)
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv)
    decipher.setAuthTag(tag)
    return Buffer.concat([
      decipher.update(blob.subarray(1 + IV_BYTES + TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8')
  }
}

/** The root key from the environment, else from its file, generating that file (mode 0600) on first start. */
export async function loadRootKey(options: {
  rootKey?: string | undefined
  rootKeyFile: string
}): Promise<string> {
  if (options.rootKey) return options.rootKey
  try {
    return (await readFile(options.rootKeyFile, 'utf8')).trim()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const generated = randomBytes(32).toString('base64')
  await mkdir(dirname(options.rootKeyFile), { recursive: true, mode: 0o700 })
  await writeFile(options.rootKeyFile, `${generated}\n`, { mode: 0o600, flag: 'wx' }).catch(
    (error: unknown) => {
      // Another replica sharing the directory won the race: use its key.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    },
  )
  await chmod(options.rootKeyFile, 0o600)
  return (await readFile(options.rootKeyFile, 'utf8')).trim()
}
