import { UnauthenticatedError } from '../domain/errors.js'
import { secretMatches, splitKey } from './access-key-secret.js'
import type { CallerCache } from './caller-cache.js'
import type { Caller } from './caller.js'
import type { KeyUsageTracker } from './key-usage.js'

const BEARER = /^Bearer\s+(\S+)\s*$/i

export interface KeyValidity {
  expires: Date
  extensionDeadline: Date
  extensionMs: bigint
}

/** A key is valid until it expires, and only while it keeps being used within its extension window. */
export function keyIsValid(key: KeyValidity, lastUse: Date | undefined, now: Date): boolean {
  const slid = lastUse ? new Date(lastUse.getTime() + Number(key.extensionMs)) : key.extensionDeadline
  const deadline = slid > key.extensionDeadline ? slid : key.extensionDeadline
  return now < key.expires && now < deadline
}

export interface Authenticator {
  callers: CallerCache
  usage: KeyUsageTracker
}

export async function authenticate(auth: Authenticator, authorization: string | undefined): Promise<Caller> {
  if (!authorization)
    throw new UnauthenticatedError('an access key is required: send "Authorization: Bearer <key>"')
  return authenticateKey(auth, BEARER.exec(authorization)?.[1] ?? '')
}

/** Checks an access key `<keyID>.<secret>` and returns whose it is; every use slides its extension deadline. */
export async function authenticateKey({ callers, usage }: Authenticator, keyText: string): Promise<Caller> {
  const parts = splitKey(keyText)
  if (!parts) throw new UnauthenticatedError('the access key is malformed')
  const key = await callers.get(parts.keyId)
  const now = new Date()
  if (!key || !secretMatches(parts.secret, key.secretHash))
    throw new UnauthenticatedError('the access key is not valid')
  if (!keyIsValid(key, usage.lastUse(key.id), now))
    throw new UnauthenticatedError('the access key has expired')
  usage.record(key.id, key.userId, now)
  return {
    userId: key.userId,
    userName: key.userName,
    accessKeyId: key.id,
    keyId: parts.keyId,
    keyScope: key.scope,
    keyExpires: key.expires,
    roles: key.roles,
    profile: key.profile,
  }
}

/** Whether a key that authenticated a request earlier still would, e.g. for a long poll that is waiting. */
export async function keyStillValid({ callers, usage }: Authenticator, keyId: string): Promise<boolean> {
  const key = await callers.get(keyId)
  return key !== undefined && keyIsValid(key, usage.lastUse(key.id), new Date())
}
