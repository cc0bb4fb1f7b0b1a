import { z } from 'zod'
import { GroupName, Id, Timestamp } from '../primitives.js'
import { PaginationQuery } from '../query.js'

export const Group = z
  .object({
    id: Id,
    name: z.string(),
    created: Timestamp,
    updated: Timestamp,
    totalUsers: z.number().int(),
  })
  .meta({ id: 'Group' })
export type Group = z.infer<typeof Group>

export const ListGroupsQuery = PaginationQuery.extend({
  name: z.string().optional(),
  userID: Id.optional(),
})
export type ListGroupsQuery = z.input<typeof ListGroupsQuery>

export const CreateGroupRequest = z.object({ name: GroupName })
export type CreateGroupRequest = z.infer<typeof CreateGroupRequest>

export const UpdateGroupUsersRequest = z.object({
  usersToAdd: z.array(Id).max(1000).optional().default([]),
  usersToRemove: z.array(Id).max(1000).optional().default([]),
})
export type UpdateGroupUsersRequest = z.input<typeof UpdateGroupUsersRequest>
