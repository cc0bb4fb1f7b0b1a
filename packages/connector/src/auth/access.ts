// Kubernetes reserves `system:*`: no Infra user or group may act as one through the connector. The server refuses
// such names; this holds even if one reached it anyway (an older server, a hand-edited database).
import { isReservedName } from '@infra/api-types'

/**
 * Who may use the proxy: the users and groups holding any grant (even `connect`) on the destination.
 *
 * A token names the groups its user was in when it was issued. For groups holding grants here, `members`
 * (when known) holds their current members, so that someone removed from such a group loses what it gave
 * them before their token expires.
 */
export class AccessList {
  constructor(
    readonly users: ReadonlySet<string> = new Set(),
    readonly groups: ReadonlySet<string> = new Set(),
    readonly members: ReadonlyMap<string, ReadonlySet<string>> = new Map(),
  ) {}

  /** Whether the token's user is (still) in a group, as far as the connector knows. */
  private isMember(name: string, group: string): boolean {
    const members = this.members.get(group)
    return members === undefined || members.has(name)
  }

  /** Whether a user with these groups holds a grant here; reserved names never do. */
  allows(name: string, groups: readonly string[]): boolean {
    if (isReservedName(name)) return false
    if (this.users.has(name)) return true
    return groups.some(
      (group) => !isReservedName(group) && this.groups.has(group) && this.isMember(name, group),
    )
  }

  /** The groups to impersonate: the token's, minus reserved ones and granted groups the user has left. */
  impersonatedGroups(name: string, groups: readonly string[]): string[] {
    return impersonatedGroups(groups).filter((group) => !this.groups.has(group) || this.isMember(name, group))
  }

  with(members: ReadonlyMap<string, ReadonlySet<string>>): AccessList {
    return new AccessList(this.users, this.groups, members)
  }
}

/** The groups to impersonate: the token's groups minus reserved ones, deduplicated. */
export function impersonatedGroups(groups: readonly string[]): string[] {
  return [...new Set(groups.filter((group) => group !== '' && !isReservedName(group)))]
}
