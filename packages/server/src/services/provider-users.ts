import { GroupName, UserName } from '@infra/api-types'
import type { ProviderIdentity } from '../auth/oidc.js'
import { ProviderLoginError } from '../auth/oidc.js'
import { isUniqueViolation } from '../db/errors.js'
import { newId } from '../db/ids.js'
import type { Database, Prisma } from '../db/prisma.js'

/**
 * The Infra user behind a provider login, made or updated to match what the provider says: the user (found by
 * name, so an existing user with that email is the same person), and the groups the provider names, created
 * when missing. Memberships the provider gave at an earlier login and no longer names are taken away;
 * memberships made through the API are left alone.
 */
export async function syncProviderUser(
  db: Database,
  provider: { id: string; name: string },
  identity: ProviderIdentity,
): Promise<{ id: string; name: string }> {
  const name = UserName.safeParse(identity.name)
  if (!name.success)
    throw new ProviderLoginError(`the identity provider's user name "${identity.name}" is not valid`)
  const groups = validGroupNames(identity.groups)
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
  db: Database,
  providerId: string,
  userId: string,
  groups: readonly string[],
): Promise<void> {
  const valid = validGroupNames(groups)
  await retryingRaces(() => db.$transaction((tx) => followProviderGroups(tx, providerId, userId, valid)))
}

const validGroupNames = (groups: readonly string[]) =>
  groups.flatMap((group) => {
    const parsed = GroupName.safeParse(group)
    return parsed.success ? [parsed.data] : []
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
