import { GroupName, UserName } from '@infra/api-types'
import type { ProviderIdentity } from '../auth/oidc.js'
import { ProviderLoginError } from '../auth/oidc.js'
import { isUniqueViolation } from '../db/errors.js'
import { newId } from '../db/ids.js'
import type { Database } from '../db/prisma.js'

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
  const groups = identity.groups.flatMap((group) => {
    const parsed = GroupName.safeParse(group)
    return parsed.success ? [parsed.data] : []
  })
  // Two first logins of one person (or two people in one new group) at once race to create the same row: the
  // loser finds it the second time.
  try {
    return await syncOnce(db, provider, name.data, groups)
  } catch (error) {
    if (!isUniqueViolation(error)) throw error
    return syncOnce(db, provider, name.data, groups)
  }
}

function syncOnce(
  db: Database,
  provider: { id: string; name: string },
  name: string,
  groups: string[],
): Promise<{ id: string; name: string }> {
  return db.$transaction(async (tx) => {
    const user = await tx.user.upsert({
      where: { name },
      create: { id: newId(), name, providerNames: [provider.name] },
      update: {},
    })
    if (user.system) throw new ProviderLoginError(`"${user.name}" is an internal identity`)
    if (!user.providerNames.includes(provider.name)) {
      await tx.user.update({ where: { id: user.id }, data: { providerNames: { push: provider.name } } })
    }
    for (const groupName of groups) {
      const group = await tx.group.upsert({
        where: { name: groupName },
        create: { id: newId(), name: groupName },
        update: {},
      })
      await tx.groupMember.upsert({
        where: { groupId_userId: { groupId: group.id, userId: user.id } },
        create: { groupId: group.id, userId: user.id, providerId: provider.id },
        update: {},
      })
    }
    await tx.groupMember.deleteMany({
      where: { userId: user.id, providerId: provider.id, group: { name: { notIn: groups } } },
    })
    return { id: user.id, name: user.name }
  })
}
