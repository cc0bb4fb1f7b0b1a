import { z } from 'zod'
import { Duration, Id, Timestamp, UserRef } from '../primitives.js'
import { PaginationQuery, queryBoolean } from '../query.js'

export const AccessKey = z
  .object({
    id: Id,
    name: z.string(),
    created: Timestamp,
    expires: Timestamp,
    extensionDeadline: Timestamp,
    issuedFor: Id,
    issuedForName: z.string(),
    lastUsed: Timestamp.optional(),
    providerID: z.string(),
  })
  .meta({ id: 'AccessKey' })
export type AccessKey = z.infer<typeof AccessKey>

export const ListAccessKeysQuery = PaginationQuery.extend({
  userID: UserRef.optional(),
  name: z.string().optional(),
  showExpired: queryBoolean.optional(),
})
export type ListAccessKeysQuery = z.input<typeof ListAccessKeysQuery>

export const AccessKeyName = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9_.-]+$/, 'may contain only letters, digits, ".", "-" and "_"')

export const CreateAccessKeyRequest = z.object({
  userID: UserRef,
  name: AccessKeyName.optional(),
  ttl: Duration.optional().describe('How long the key is valid (default 720h)'),
  extensionDeadline: Duration.optional().describe(
    'The key expires early unless used within this window (default 720h)',
  ),
})
export type CreateAccessKeyRequest = z.input<typeof CreateAccessKeyRequest>

export const CreateAccessKeyResponse = AccessKey.extend({
  accessKey: z.string().describe('The key itself, shown only once'),
}).meta({ id: 'CreatedAccessKey' })
export type CreateAccessKeyResponse = z.infer<typeof CreateAccessKeyResponse>
