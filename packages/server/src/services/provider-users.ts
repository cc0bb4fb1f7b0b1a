import { GroupName, UserName } from '@infra/api-types'
import type { z } from 'zod'
import type { ProviderIdentity } from '../auth/oidc.js'
import { ProviderLoginError } from '../auth/oidc.js'
import { isUniqueViolation } from '../db/errors.js'
import { newId } from '../db/ids.js'
import type { Database, Prisma } from '../db/prisma.js'
import type { Logger } from '../http/logger.js'

/** Where a provider's names are checked: what to write to, and whose names they are. */
interface ProviderSync {
  db: Database
  logger: Logger
  provider: { id: string; name: string }
}

/**
 * The Infra user behind a provider login, made or updated to match what the provider says: the user (found by
 * name, so an existing user with that email is the same person), and the groups the provider names, created
 * when missing. Memberships the provider gave at an earlier login and no longer names are taken away;
 * memberships made through the API are left alone.
 */
export async function syncProviderUser(
  { db, logger, provider }: ProviderSync,
  identity: ProviderIdentity,
): Promise<{ id: string; name: string }> {
  const name = UserName.safeParse(identity.name)
  if (!name.success) {
    throw new ProviderLoginError(
      `the identity provider's user name "${identity.name}" is not valid: ${reasons(name.error)}`,
    )
  }
  const groups = validGroupNames({ logger, provider }, identity.groups)
  return retryingRaces(() =>
    db.$transaction(async (tx) => {
      const user = await tx.user.upsert({
        where: { name: name.data },
        create: { id: newId(), name: name.data, providerNames: [provider.name] },
        update: {},
      })
      if (user.system) throw new ProviderLoginError(`"${user.name}" is an internal identity`)
      if (!user.providerNames.includes(provider.name)) {
        await tx.user.update({ where: { id: user.id }, data: { providerNames: { push: provider.name } } })
      }
      await followProviderGroups(tx, provider.id, user.id, groups)
      return { id: user.id, name: user.name }
    }),
  )
}

/** The same for the groups of a known user, when the provider is asked again during a session. */
export async function syncProviderGroups(
  { db, logger, provider }: ProviderSync,
  userId: string,
  groups: readonly string[],
): Promise<void> {
  const valid = validGroupNames({ logger, provider }, groups)
  await retryingRaces(() => db.$transaction((tx) => followProviderGroups(tx, provider.id, userId, valid)))
}

const reasons = (error: z.ZodError) => error.issues.map((issue) => issue.message).join(', ')

/**
 * The groups a provider names that Infra could have, e.g. not `system:masters`: the others are left out (the
 * login goes on without them) and said so in the log.
 */
const validGroupNames = ({ logger, provider }: Omit<ProviderSync, 'db'>, groups: readonly string[]) =>
  groups.flatMap((group) => {
    const parsed = GroupName.safeParse(group)
    if (parsed.success) return [parsed.data]
    logger.warn(
      {
        provider: provider.name,
        group,
        reason: reasons(parsed.error),
      },
      'left out a group the identity provider named',
    )
    return []
  })

/**
 * Two first logins of one person (or two people in one new group) at once race to create the same row: the
 * loser finds it the second time.
 */
async function retryingRaces<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (!isUniqueViolation(error)) throw error
    return work()
  }
}

async function followProviderGroups(
  tx: Prisma.TransactionClient,
  providerId: string,
  userId: string,
  groups: string[],
): Promise<void> {
  for (const groupName of groups) {
    const group = await tx.group.upsert({
      where: { name: groupName },
      create: { id: newId(), name: groupName },
      update: {},
    })
    await tx.groupMember.upsert({
      where: { groupId_userId: { groupId: group.id, userId } },
      create: { groupId: group.id, userId, providerId },
      update: {},
    })
  }
  await tx.groupMember.deleteMany({
    where: { userId, providerId, group: { name: { notIn: groups } } },
  })
}
