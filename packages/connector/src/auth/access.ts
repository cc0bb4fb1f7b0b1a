/** Kubernetes reserves these names: no Infra user or group may act as them through the connector. */
export const RESERVED_PREFIX = 'system:'

export const isReserved = (name: string) => name.toLowerCase().startsWith(RESERVED_PREFIX)

/** Who may use the proxy: the users and groups holding any grant (even `connect`) on the destination. */
export class AccessList {
  constructor(
    readonly users: ReadonlySet<string> = new Set(),
    readonly groups: ReadonlySet<string> = new Set(),
  ) {}

  /** Whether a user with these groups holds a grant here; reserved names never do. */
  allows(name: string, groups: readonly string[]): boolean {
    if (isReserved(name)) return false
    if (this.users.has(name)) return true
    return groups.some((group) => !isReserved(group) && this.groups.has(group))
  }
}

/** The groups to impersonate: the token's groups minus reserved ones, deduplicated. */
export function impersonatedGroups(groups: readonly string[]): string[] {
  return [...new Set(groups.filter((group) => group !== '' && !isReserved(group)))]
}
