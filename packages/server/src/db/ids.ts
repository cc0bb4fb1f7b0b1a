import { encodeBase58 } from '@infra/api-types'
import { randomInt } from 'node:crypto'

// A 64-bit ID: 42 bits of milliseconds since 2022-01-01, 10 random bits per process (so that replicas
// rarely collide), 12 bits of sequence within the millisecond.
const EPOCH_MS = 1_640_995_200_000n
const NODE_BITS = 10n
const SEQUENCE_BITS = 12n
const MAX_SEQUENCE = (1n << SEQUENCE_BITS) - 1n
const node = BigInt(randomInt(0, 1 << Number(NODE_BITS)))

let lastMs = 0n
let sequence = 0n

export function newId(): string {
  let now = BigInt(Date.now()) - EPOCH_MS
  if (now < lastMs) now = lastMs // the clock stepped back: stay monotonic
  if (now === lastMs) {
    sequence = (sequence + 1n) & MAX_SEQUENCE
    if (sequence === 0n) now = lastMs + 1n // sequence exhausted: borrow the next millisecond
  } else {
    sequence = 0n
  }
  lastMs = now
  return encodeBase58((now << (NODE_BITS + SEQUENCE_BITS)) | (node << SEQUENCE_BITS) | sequence)
}
