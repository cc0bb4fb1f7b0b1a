import { INFRA_RESOURCE, INFRA_ROLES, type InfraRole } from '@infra/api-types'
import type { Database } from '../db/prisma.js'
import { unauthorized } from '../http/errors.js'
import { secretMatches, splitKey } from './access-key-secret.js'
import type { Caller, KeyScope } from './caller.js'
import type { KeyUsageTracker } from './key-usage.js'

const BEARER = /^Bearer\s+(\S+)\s*$/i

/** The Infra roles a user holds: grants on the resource `infra`, directly or through a group. */
export async function rolesOf(db: Database, userId: string): Promise<Set<InfraRole>> {
  const rows = await db.$queryRaw<{ privilege: string }[]>`
    SELECT DISTINCT privilege FROM grants
    WHERE resource = ${INFRA_RESOURCE}
      AND (user_id = ${userId} OR group_id IN (SELECT group_id FROM group_members WHERE user_id = ${userId}))`
  return new Set(
    rows
      .map((row) => row.privilege)
      .filter((p): p is InfraRole => (INFRA_ROLES as readonly string[]).includes(p)),
  )
}

export interface KeyValidity {
  expires: Date
  extensionDeadline: Date
  extensionMs: bigint
}

/** A key is valid until it expires, and only while it keeps being used within its extension window. */
export function keyIsValid(key: KeyValidity, pendingUse: Date | undefined, now: Date): boolean {
  const slid = pendingUse ? new Date(pendingUse.getTime() + Number(key.extensionMs)) : key.extensionDeadline
  const deadline = slid > key.extensionDeadline ? slid : key.extensionDeadline
  return now < key.expires && now < deadline
}

export async function authenticate(
  db: Database,
  usage: KeyUsageTracker,
  authorization: string | undefined,
): Promise<Caller> {
  if (!authorization) throw unauthorized('an access key is required: send "Authorization: Bearer <key>"')
  return authenticateKey(db, usage, BEARER.exec(authorization)?.[1] ?? '')
}

/** Checks an access key `<keyID>.<secret>` and returns whose it is; every use slides its extension deadline. */
export async function authenticateKey(
  db: Database,
  usage: KeyUsageTracker,
  keyText: string,
): Promise<Caller> {
  const parts = splitKey(keyText)
  if (!parts) throw unauthorized('the access key is malformed')
  const key = await db.accessKey.findUnique({
    where: { keyId: parts.keyId },
    include: { user: { select: { name: true } } },
  })
  const now = new Date()
  if (!key || !secretMatches(parts.secret, key.secretHash)) throw unauthorized('the access key is not valid')
  if (!keyIsValid(key, usage.lastPendingUse(key.id), now)) throw unauthorized('the access key has expired')
  usage.record(key.id, key.userId, now)
  return {
    userId: key.userId,
    userName: key.user.name,
    accessKeyId: key.id,
    keyScope: key.scope as KeyScope,
    keyExpires: key.expires,
    roles: await rolesOf(db, key.userId),
  }
}
