import { BASE58_ALPHABET } from './primitives.js'

const BASE = 58n
const MAX_UINT64 = (1n << 64n) - 1n

/** Writes an unsigned 64-bit number in base58 (the form of every Infra ID). */
export function encodeBase58(value: bigint): string {
  if (value < 0n || value > MAX_UINT64) throw new RangeError('base58 IDs hold unsigned 64-bit numbers')
  if (value === 0n) return BASE58_ALPHABET[0] as string
  let rest = value
  let out = ''
  while (rest > 0n) {
    out = BASE58_ALPHABET[Number(rest % BASE)] + out
    rest /= BASE
  }
  return out
}

/** Reads a base58 ID back into its number; throws on characters outside the alphabet or on overflow. */
export function decodeBase58(text: string): bigint {
  if (text.length === 0) throw new SyntaxError('empty base58 string')
  let value = 0n
  for (const char of text) {
    const digit = BASE58_ALPHABET.indexOf(char)
    if (digit === -1) throw new SyntaxError(`"${char}" is not a base58 character`)
    value = value * BASE + BigInt(digit)
  }
  if (value > MAX_UINT64) throw new RangeError('base58 ID exceeds 64 bits')
  return value
}
