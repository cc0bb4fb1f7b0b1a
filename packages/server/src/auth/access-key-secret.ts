import { ACCESS_KEY_PATTERN } from '@infra/api-types'
import { createHash, randomInt, timingSafeEqual } from 'node:crypto'

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

function randomText(length: number): string {
  let out = ''
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)]
  return out
}

export interface KeyParts {
  keyId: string
  secret: string
}

export function generateKey(): KeyParts & { text: string } {
  const keyId = randomText(10)
  const secret = randomText(24)
  return { keyId, secret, text: `${keyId}.${secret}` }
}

export function splitKey(text: string): KeyParts | undefined {
  if (!ACCESS_KEY_PATTERN.test(text)) return undefined
  const [keyId, secret] = text.split('.') as [string, string]
  return { keyId, secret }
}

export function hashSecret(secret: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash('sha256').update(secret).digest())
}

export function secretMatches(secret: string, storedHash: Uint8Array): boolean {
  const candidate = hashSecret(secret)
  return storedHash.length === candidate.length && timingSafeEqual(candidate, storedHash)
}
