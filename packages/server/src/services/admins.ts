import { INFRA_RESOURCE } from '@infra/api-types'
import type { Database, Prisma } from '../db/prisma.js'
import { ConflictError, NotFoundError } from '../domain/errors.js'

// Serializes every change that could remove an admin grant, so two concurrent removals cannot both pass the check.
const ADMIN_GRANTS_LOCK = 7_342_002

export async function lockAdminGrants(tx: Prisma.TransactionClient): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${ADMIN_GRANTS_LOCK})`
}

/** Called inside the transaction that removed grants or users: Infra must always keep an admin. */
export async function ensureAnAdminRemains(tx: Prisma.TransactionClient): Promise<void> {
  const remaining = await tx.grant.count({ where: { resource: INFRA_RESOURCE, privilege: 'admin' } })
  if (remaining === 0)
    throw new ConflictError(
      'this would remove the last admin grant on infra; grant admin to someone else first',
    )
}

/** Deletes something that may hold admin grants (a grant, user or group), unless Infra would be left without an admin. */
export async function deleteKeepingAnAdmin(
  db: Database,
  what: string,
  remove: (tx: Prisma.TransactionClient) => Promise<{ count: number }>,
): Promise<void> {
  await db.$transaction(async (tx) => {
    await lockAdminGrants(tx)
    const { count } = await remove(tx)
    if (count === 0) throw new NotFoundError(what)
    await ensureAnAdminRemains(tx)
  })
}
