import { z } from 'zod'
import { Id, Timestamp, UserName, GroupName, UserRef } from '../primitives.js'
import { LongPollQuery, PaginationQuery, queryBoolean } from '../query.js'
import { INFRA_RESOURCE, INFRA_ROLES, Privilege, Resource } from '../resource.js'
import type { OlderShape } from '../routes.js'

/** Infra 0.18.1 and older (and so every Infra CLI and connector) named a grant's creator `created_by`. */
export const GRANT_NAMES_0_18_1 = {
  through: '0.18.1',
  renamed: { createdBy: 'created_by' },
} as const satisfies OlderShape

export const Grant = z
  .object({
    id: Id,
    created: Timestamp,
    createdBy: z.string().describe('ID of the user that created the grant'),
    updated: Timestamp,
    user: Id.optional(),
    group: Id.optional(),
    privilege: z.string(),
    resource: z.string(),
  })
  .meta({ id: 'Grant' })
export type Grant = z.infer<typeof Grant>

export const ListGrantsQuery = PaginationQuery.extend(LongPollQuery.shape).extend({
  user: UserRef.optional(),
  group: Id.optional(),
  resource: z.string().max(512).optional(),
  destination: z.string().max(253).optional(),
  privilege: z.string().max(253).optional(),
  showInherited: queryBoolean.optional(),
  showSystem: queryBoolean.optional(),
})
export type ListGrantsQuery = z.input<typeof ListGrantsQuery>

const subjectFields = ['user', 'group', 'userName', 'groupName'] as const

/** A grant names exactly one subject, by ID or by name. */
export const GrantRequest = z
  .object({
    user: UserRef.optional(),
    group: Id.optional(),
    userName: UserName.optional(),
    groupName: GroupName.optional(),
    privilege: Privilege,
    resource: Resource,
  })
  .superRefine((grant, ctx) => {
    const given = subjectFields.filter((field) => grant[field] !== undefined)
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['user'],
        message: 'exactly one of user, group, userName or groupName is required',
      })
    }
    if (grant.resource === INFRA_RESOURCE && !(INFRA_ROLES as readonly string[]).includes(grant.privilege)) {
      ctx.addIssue({
        code: 'custom',
        path: ['privilege'],
        message: `the resource "infra" only takes the roles ${INFRA_ROLES.join(', ')}`,
      })
    }
  })
export type GrantRequest = z.infer<typeof GrantRequest>

export const CreateGrantResponse = Grant.extend({ wasCreated: z.boolean() }).meta({ id: 'CreatedGrant' })
export type CreateGrantResponse = z.infer<typeof CreateGrantResponse>

export const PatchGrantsRequest = z.object({
  grantsToAdd: z.array(GrantRequest).max(1000).optional().default([]),
  grantsToRemove: z.array(GrantRequest).max(1000).optional().default([]),
})
export type PatchGrantsRequest = z.input<typeof PatchGrantsRequest>
