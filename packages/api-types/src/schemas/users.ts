import { z } from 'zod'
import { Id, Password, Timestamp, UserName } from '../primitives.js'
import { PaginationQuery, queryBoolean, queryIdList } from '../query.js'

export const User = z
  .object({
    id: Id,
    name: z.string(),
    created: Timestamp,
    updated: Timestamp,
    lastSeenAt: Timestamp.optional(),
    providerNames: z.array(z.string()),
  })
  .meta({ id: 'User' })
export type User = z.infer<typeof User>

export const ListUsersQuery = PaginationQuery.extend({
  name: z.string().optional(),
  group: Id.optional(),
  ids: queryIdList.optional(),
  showSystem: queryBoolean.optional(),
})
export type ListUsersQuery = z.input<typeof ListUsersQuery>

/**
 * The system user that connectors' access keys belong to (`infra keys add --connector`), with the connector
 * role: listed only with showSystem, and never deleted, as in Infra.
 */
export const CONNECTOR_USER_NAME = 'connector'

export const CreateUserRequest = z.object({ name: UserName })
export type CreateUserRequest = z.infer<typeof CreateUserRequest>

export const CreateUserResponse = z
  .object({ id: Id, name: z.string(), oneTimePassword: z.string().optional() })
  .meta({ id: 'CreatedUser' })
export type CreateUserResponse = z.infer<typeof CreateUserResponse>

export const UpdateUserRequest = z.object({ oldPassword: z.string().max(256).optional(), password: Password })
export type UpdateUserRequest = z.infer<typeof UpdateUserRequest>
