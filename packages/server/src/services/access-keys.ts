import type { AccessKey, CreateAccessKeyResponse, ListAccessKeysQuery, Page } from '@infra/api-types'
import { randomBytes } from 'node:crypto'
import type { z } from 'zod'
import { generateKey, hashSecret } from '../auth/access-key-secret.js'
import type { KeyScope } from '../auth/caller.js'
import { isForeignKeyViolation, isUniqueViolation } from '../db/errors.js'
import { newId } from '../db/ids.js'
import type { Database, DatabaseClient, SqlPool } from '../db/prisma.js'
import type { AuditContext } from '../http/audit-context.js'
import { recordAuditEvent } from './audit.js'
import { ConflictError, NotFoundError } from '../domain/errors.js'
import { Conditions, listPage, type JsonText } from './json-page.js'
import { accessKeyJson, toApiAccessKey } from './serialize.js'

export interface KeyIssue {
  userId: string
  name?: string | undefined
  ttlMs: number
  extensionMs: number
  scope?: KeyScope
  /** A key never outlives the one it was exchanged for. */
  notAfter?: Date
  /** The identity provider the user logged in through, for keys from a provider login. */
  providerId?: string
  /** Reuse a known key (bootstrap from configuration) instead of generating one. */
  presetKey?: { keyId: string; secret: string }
}

export async function issueAccessKey(db: DatabaseClient, issue: KeyIssue): Promise<CreateAccessKeyResponse> {
  const now = Date.now()
  let expires = new Date(now + issue.ttlMs)
  if (issue.notAfter && issue.notAfter < expires) expires = issue.notAfter
  const extensionDeadline = new Date(Math.min(now + issue.extensionMs, expires.getTime()))
  const generated = issue.presetKey ?? generateKey()
  const name = issue.name ?? `key-${randomBytes(4).toString('hex')}`
  try {
    const key = await db.accessKey.create({
      data: {
        id: newId(),
        keyId: generated.keyId,
        secretHash: hashSecret(generated.secret),
        name,
        userId: issue.userId,
        scope: issue.scope ?? 'full',
        ...(issue.providerId ? { providerId: issue.providerId } : {}),
        expires,
        extensionDeadline,
        extensionMs: BigInt(issue.extensionMs),
      },
      include: { user: { select: { name: true } } },
    })
    return { ...toApiAccessKey(key), accessKey: `${generated.keyId}.${generated.secret}` }
  } catch (error) {
    if (isUniqueViolation(error))
      throw new ConflictError(`an access key named "${name}" already exists for this user`)
    if (isForeignKeyViolation(error)) throw new NotFoundError('user')
    throw error
  }
}

export function listAccessKeys(
  sql: SqlPool,
  query: Omit<z.output<typeof ListAccessKeysQuery>, 'userID'> & { userID?: string | undefined },
): Promise<JsonText<Page<AccessKey>>> {
  const conditions = new Conditions()
  if (query.userID !== undefined) conditions.add(`k.user_id = ${conditions.param(query.userID)}`)
  if (query.name !== undefined) conditions.add(`k.name = ${conditions.param(query.name)}`)
  if (!query.showExpired) conditions.add('k.expires > now() AND k.extension_deadline > now()')
  const { where, params } = conditions
  return listPage(
    sql,
    {
      from: 'access_keys k JOIN users u ON u.id = k.user_id',
      where,
      params,
      orderBy: 'k.created, k.id',
      fields: accessKeyJson,
    },
    query,
  )
}

export async function findAccessKeyOwner(db: Database, id: string): Promise<string> {
  const key = await db.accessKey.findUnique({ where: { id }, select: { userId: true } })
  if (!key) throw new NotFoundError('access key')
  return key.userId
}

const keyTarget = (key: { id: string; name: string }) => ({ kind: 'access-key', id: key.id, name: key.name })

/** `POST /api/access-keys`: a key someone asked for, as opposed to the session keys logins issue. */
export async function createAccessKey(
  db: Database,
  issue: KeyIssue,
  by: AuditContext,
): Promise<CreateAccessKeyResponse> {
  return db.$transaction(async (tx) => {
    const key = await issueAccessKey(tx, issue)
    await recordAuditEvent(tx, {
      type: 'access-key.created',
      outcome: 'success',
      ...by,
      target: keyTarget(key),
      details: { user: key.issuedFor, expires: key.expires },
    })
    return key
  })
}

export async function deleteAccessKey(db: Database, id: string, by: AuditContext): Promise<void> {
  await db.$transaction(async (tx) => {
    const key = await tx.accessKey.findUnique({
      where: { id },
      select: { id: true, name: true, userId: true },
    })
    const { count } = await tx.accessKey.deleteMany({ where: { id } })
    if (count === 0 || !key) throw new NotFoundError('access key')
    await recordAuditEvent(tx, {
      type: 'access-key.revoked',
      outcome: 'success',
      ...by,
      target: keyTarget(key),
      details: { user: key.userId },
    })
  })
}
