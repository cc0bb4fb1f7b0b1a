import { CONNECTOR_USER_NAME, INFRA_RESOURCE, type InfraRole } from '@infra/api-types'
import { hashSecret, splitKey } from './auth/access-key-secret.js'
import { hashPassword, passwordMatches } from './auth/passwords.js'
import type { ConfigFile } from './config.js'
import { newId } from './db/ids.js'
import type { Database, Prisma } from './db/prisma.js'
import { issueAccessKey } from './services/access-keys.js'

const BOOTSTRAP_LOCK = 7_342_003
const CONFIGURED_KEY_LIFETIME_MS = 10 * 365 * 24 * 3_600_000
const FIRST_START_KEY_TTL_MS = 24 * 3_600_000
export const ADMIN_USER_NAME = 'admin'

type Tx = Prisma.TransactionClient

async function ensureUser(tx: Tx, name: string): Promise<string> {
  const user = await tx.user.upsert({
    where: { name },
    create: { id: newId(), name, providerNames: ['infra'] },
    update: {},
    select: { id: true },
  })
  return user.id
}

async function ensureConnectorUser(tx: Tx): Promise<void> {
  const user = await tx.user.upsert({
    where: { name: CONNECTOR_USER_NAME },
    create: { id: newId(), name: CONNECTOR_USER_NAME, system: true, providerNames: ['infra'] },
    // A connector user made by an earlier version of the CLI, as a plain user, becomes the system one.
    update: { system: true },
    select: { id: true },
  })
  await ensureRole(tx, user.id, 'connector')
}

async function ensureRole(tx: Tx, userId: string, role: InfraRole): Promise<void> {
  await tx.grant.createMany({
    data: [
      {
        id: newId(),
        userId,
        privilege: role,
        resource: INFRA_RESOURCE,
        destination: INFRA_RESOURCE,
        createdBy: '',
      },
    ],
    skipDuplicates: true,
  })
}

async function ensureKey(tx: Tx, userId: string, keyText: string, name: string): Promise<void> {
  const parts = splitKey(keyText)
  if (!parts) throw new Error(`the access key for ${name} is malformed: expected <keyID>.<secret>`)
  const existing = await tx.accessKey.findUnique({ where: { keyId: parts.keyId } })
  if (existing && existing.userId !== userId)
    throw new Error(`the access key ${name} belongs to another user`)
  const expires = new Date(Date.now() + CONFIGURED_KEY_LIFETIME_MS)
  const fields = {
    secretHash: hashSecret(parts.secret),
    scope: 'full',
    expires,
    extensionDeadline: expires,
    extensionMs: BigInt(CONFIGURED_KEY_LIFETIME_MS),
  }
  if (existing) {
    await tx.accessKey.update({ where: { id: existing.id }, data: fields })
    return
  }
  // A different key than at the last start (rotated in the flag or the file): it replaces the earlier one.
  await tx.accessKey.deleteMany({ where: { userId, name } })
  await tx.accessKey.create({ data: { id: newId(), keyId: parts.keyId, name, userId, ...fields } })
}

async function ensurePassword(tx: Tx, userId: string, password: string): Promise<void> {
  const user = await tx.user.findUniqueOrThrow({ where: { id: userId }, select: { passwordHash: true } })
  if (await passwordMatches(password, user.passwordHash)) return
  await tx.user.update({
    where: { id: userId },
    data: { passwordHash: await hashPassword(password), passwordIsOneTime: false },
  })
}

export interface BootstrapResult {
  /** Set on a first start with nothing configured: a key for the new admin, to be shown once. */
  firstStartAdminKey?: string
}

/**
 * Makes the connector user, the configured admin and users exist, with their keys, passwords and roles. Safe to
 * run on every start.
 */
export async function bootstrap(
  db: Database,
  options: { adminAccessKey?: string | undefined; config: ConfigFile },
): Promise<BootstrapResult> {
  const needsFirstAdmin = await db.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`
      await ensureConnectorUser(tx)
      if (options.adminAccessKey !== undefined) {
        const adminId = await ensureUser(tx, ADMIN_USER_NAME)
        await ensureRole(tx, adminId, 'admin')
        await ensureKey(tx, adminId, options.adminAccessKey, 'admin-access-key')
      }
      for (const declared of options.config.users) {
        const userId = await ensureUser(tx, declared.name)
        if (declared.role) await ensureRole(tx, userId, declared.role)
        if (declared.password) await ensurePassword(tx, userId, declared.password)
        if (declared.accessKey) await ensureKey(tx, userId, declared.accessKey, 'configured-access-key')
      }
      if (options.adminAccessKey !== undefined || options.config.users.length > 0) return false
      if ((await tx.user.count({ where: { system: false } })) > 0) return false
      const adminId = await ensureUser(tx, ADMIN_USER_NAME)
      await ensureRole(tx, adminId, 'admin')
      return true
    },
    { timeout: 60_000 },
  )
  if (!needsFirstAdmin) return {}
  const admin = await db.user.findUniqueOrThrow({ where: { name: ADMIN_USER_NAME } })
  const key = await issueAccessKey(db, {
    userId: admin.id,
    name: 'first-start',
    ttlMs: FIRST_START_KEY_TTL_MS,
    extensionMs: FIRST_START_KEY_TTL_MS,
  })
  return { firstStartAdminKey: key.accessKey }
}
