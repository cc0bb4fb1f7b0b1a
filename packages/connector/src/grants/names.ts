import type { Grant } from '@infra/api-types'
import type { InfraClient } from '@infra/client-sdk'
import type { SubjectNames } from '../rbac/desired-bindings.js'

const ID_BATCH = 1000

/**
 * Resolves the user and group IDs of grants to names, in bulk: users by one `GET /api/users?ids=…` per
 * thousand unknown IDs, groups by one listing of all groups when any group is unknown. Names of users and
 * groups never change, so resolved names are kept while grants name them, and no longer: users and groups come
 * and go, and a connector runs for months.
 */
export class NameResolver {
  private readonly users = new Map<string, string>()
  private readonly groups = new Map<string, string>()

  constructor(private readonly client: InfraClient) {}

  async resolve(grants: readonly Grant[], signal: AbortSignal): Promise<SubjectNames> {
    const userIds = new Set<string>()
    const groupIds = new Set<string>()
    for (const grant of grants) {
      if (grant.user) userIds.add(grant.user)
      if (grant.group) groupIds.add(grant.group)
    }
    const unknownUsers = [...userIds].filter((id) => !this.users.has(id))
    const unknownGroups = [...groupIds].some((id) => !this.groups.has(id))
    const work: Promise<void>[] = []
    for (let i = 0; i < unknownUsers.length; i += ID_BATCH) {
      const ids = unknownUsers.slice(i, i + ID_BATCH)
      work.push(
        (async () => {
          for await (const user of this.client.users.iterate({ ids, limit: ID_BATCH }, { signal })) {
            this.users.set(user.id, user.name)
          }
        })(),
      )
    }
    if (unknownGroups) {
      work.push(
        (async () => {
          for await (const group of this.client.groups.iterate({ limit: 1000 }, { signal })) {
            this.groups.set(group.id, group.name)
          }
        })(),
      )
    }
    await Promise.all(work)
    forgetAllBut(this.users, userIds)
    forgetAllBut(this.groups, groupIds)
    return {
      users: new Map(
        [...userIds].flatMap((id) => (this.users.has(id) ? [[id, this.users.get(id) ?? '']] : [])),
      ),
      groups: new Map(
        [...groupIds].flatMap((id) => (this.groups.has(id) ? [[id, this.groups.get(id) ?? '']] : [])),
      ),
    }
  }
}

function forgetAllBut(names: Map<string, string>, wanted: ReadonlySet<string>): void {
  for (const id of names.keys()) if (!wanted.has(id)) names.delete(id)
}
