import type { InfraRole } from '@infra/api-types'

export type KeyScope = 'full' | 'password-reset'

/** Who is making a request, established from their access key. */
export interface Caller {
  userId: string
  userName: string
  accessKeyId: string
  keyScope: KeyScope
  keyExpires: Date
  roles: ReadonlySet<InfraRole>
}

export const hasRole = (caller: Caller, ...roles: InfraRole[]) => roles.some((role) => caller.roles.has(role))

/** admin and view may read everything; other callers only see what concerns them. */
export const canReadAll = (caller: Caller) => hasRole(caller, 'admin', 'view')
