import { hash, verify } from '@node-rs/argon2'
import { randomInt } from 'node:crypto'

// argon2id with the library's defaults (19 MiB, 2 passes), the OWASP baseline.
export const hashPassword = (password: string) => hash(password)

// Verifying against a real hash when the user does not exist keeps the response time from revealing names.
let decoyHash: Promise<string> | undefined

export async function passwordMatches(
  password: string,
  storedHash: string | null | undefined,
): Promise<boolean> {
  if (!storedHash) {
    await verify(await (decoyHash ??= hash('decoy-password-never-matches')), password).catch(() => false)
    return false
  }
  return verify(storedHash, password).catch(() => false)
}

const READABLE = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'

/** A one-time password an admin can read out or paste: no look-alike characters. */
export function generateOneTimePassword(): string {
  let out = ''
  for (let i = 0; i < 16; i++) out += READABLE[randomInt(READABLE.length)]
  return out
}
