import { GroupName, UserName } from '@infra/api-types'
import type { z } from 'zod'
import type { ProviderIdentity } from '../auth/oidc.js'
import { ProviderLoginError } from '../auth/oidc.js'
import { isUniqueViolation } from '../db/errors.js'
import { newId } from '../db/ids.js'
import type { Database, Prisma } from '../db/prisma.js'
import { userActor, type AuditContext, type RequestOrigin } from '../http/audit-context.js'
import type { Logger } from '../http/logger.js'
import { recordAuditEvent } from './audit.js'
import { groupTarget, recordGroupCreated } from './groups.js'

/** Where a provider's names are checked: what to write to, and whose names they are. */
interface ProviderSync {
  db: Database
  logger: Logger
  provider: { id: string; name: string }
  /** The login's request; none when a session is checked with the provider in the background. */
  origin?: RequestOrigin
}

/**
 * The Infra user behind a provider login, made or updated to match what the provider says: the user (found by
 * name, so an existing user with that email is the same person), and the groups the provider names, created
 * when missing. Memberships the provider gave at an earlier login and no longer names are taken away;
 * memberships made through the API are left alone.
 */
export async function syncProviderUser(
  { db, logger, provider, origin }: ProviderSync,
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
      const [created] = await tx.user.createManyAndReturn({
        data: [{ id: newId(), name: name.data, providerNames: [provider.name] }],
        skipDuplicates: true,
      })
      const user = created ?? (await tx.user.findUniqueOrThrow({ where: { name: name.data } }))
      if (user.system) throw new ProviderLoginError(`"${user.name}" is an internal identity`)
      // The user made the change by logging in; the provider vouched for it.
      const by: AuditContext = { actor: userActor(user), ...origin }
      const target = { kind: 'user', id: user.id, name: user.name }
      const details = { provider: provider.name }
      if (created) {
        await recordAuditEvent(tx, { type: 'user.created', outcome: 'success', ...by, target, details })
      } else if (!user.providerNames.includes(provider.name)) {
        await tx.user.update({ where: { id: user.id }, data: { providerNames: { push: provider.name } } })
        await recordAuditEvent(tx, { type: 'user.updated', outcome: 'success', ...by, target, details })
      }
      await followProviderGroups(tx, provider, user, groups, by)
      return { id: user.id, name: user.name }
    }),
  )
}

/** The same for the groups of a known user, when the provider is asked again during a session. */
export async function syncProviderGroups(
  { db, logger, provider }: ProviderSync,
  user: { id: string; name: string },
  groups: readonly string[],
): Promise<void> {
  const valid = validGroupNames({ logger, provider }, groups)
  const by: AuditContext = { actor: userActor(user) }
  await retryingRaces(() => db.$transaction((tx) => followProviderGroups(tx, provider, user, valid, by)))
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

const groupsOf = async (tx: Prisma.TransactionClient, userId: string) =>
  new Map(
    (await tx.groupMember.findMany({ where: { userId }, select: { group: true } })).map(({ group }) => [
      group.id,
      group,
    ]),
  )

/** Makes the user's memberships from `provider` the groups it names now, recording each change. */
async function followProviderGroups(
  tx: Prisma.TransactionClient,
  provider: { id: string; name: string },
  user: { id: string },
  groups: string[],
  by: AuditContext,
): Promise<void> {
  const made = await tx.group.createManyAndReturn({
    data: groups.map((name) => ({ id: newId(), name })),
    skipDuplicates: true,
  })
  for (const group of made) await recordGroupCreated(tx, group, by)
  const before = await groupsOf(tx, user.id)
  const named = await tx.group.findMany({ where: { name: { in: groups } }, select: { id: true } })
  await tx.groupMember.createMany({
    data: named.map((group) => ({ groupId: group.id, userId: user.id, providerId: provider.id })),
    skipDuplicates: true,
  })
  await tx.groupMember.deleteMany({
    where: { userId: user.id, providerId: provider.id, group: { name: { notIn: groups } } },
  })
  await recordMembershipChanges(tx, user.id, before, await groupsOf(tx, user.id), by, provider)
}

type GroupsById = Map<string, { id: string; name: string }>

/** One `group.members-changed` event per group the user joined or left. */
async function recordMembershipChanges(
  tx: Prisma.TransactionClient,
  userId: string,
  before: GroupsById,
  after: GroupsById,
  by: AuditContext,
  provider: { name: string },
): Promise<void> {
  const changes = [
    ...[...after.values()]
      .filter((group) => !before.has(group.id))
      .map((group) => ({ group, added: [userId], removed: [] })),
    ...[...before.values()]
      .filter((group) => !after.has(group.id))
      .map((group) => ({ group, added: [], removed: [userId] })),
  ]
  for (const { group, added, removed } of changes) {
    await recordAuditEvent(tx, {
      type: 'group.members-changed',
      outcome: 'success',
      ...by,
      target: groupTarget(group),
      details: { added, removed, provider: provider.name },
    })
  }
}

/**
 * Ends a session its provider no longer accepts: its access key goes, and with it the groups the provider vouched
 * for (kubectl tokens already handed out name the user, and the connectors refuse them within a second once the
 * memberships behind the grants are gone).
 */
export async function endSession(
  db: Database,
  accessKeyId: string,
  user: { id: string; name: string },
  provider: { id: string; name: string },
  reason: string,
): Promise<void> {
  const by: AuditContext = { actor: userActor(user) }
  await db.$transaction(async (tx) => {
    const before = await groupsOf(tx, user.id)
    const { count } = await tx.accessKey.deleteMany({ where: { id: accessKeyId } })
    await tx.groupMember.deleteMany({ where: { userId: user.id, providerId: provider.id } })
    if (count > 0) {
      await recordAuditEvent(tx, {
        type: 'access-key.revoked',
        outcome: 'success',
        reason,
        ...by,
        target: { kind: 'access-key', id: accessKeyId },
        details: { user: user.id, provider: provider.name },
      })
    }
    await recordMembershipChanges(tx, user.id, before, await groupsOf(tx, user.id), by, provider)
  })
}
