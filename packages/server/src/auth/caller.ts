import type { InfraRole, User } from '@infra/api-types'

export type KeyScope = 'full' | 'password-reset'

/** Who is making a request, established from their access key. */
export interface Caller {
  userId: string
  userName: string
  accessKeyId: string
  /** The key's public ID (before the dot), which revocation notifications (`key:<keyID>`) name. */
  keyId: string
  keyScope: KeyScope
  keyExpires: Date
  roles: ReadonlySet<InfraRole>
  /**
   * The caller's own user, read with the key: what `GET /api/users/self` answers without another query.
   * Changes through this server are seen at once, through other replicas within the cache's maximum age.
   */
  profile: User
}

export const hasRole = (caller: Caller, ...roles: InfraRole[]) => roles.some((role) => caller.roles.has(role))
