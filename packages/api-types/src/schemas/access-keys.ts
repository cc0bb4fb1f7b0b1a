import { z } from 'zod'
import { Duration, Id, Timestamp, UserRef } from '../primitives.js'
import { PaginationQuery, queryBoolean } from '../query.js'
import type { OlderShape } from '../routes.js'

/** Infra 0.18.0 and older called a key's lifetime and inactivity window `ttl` and `extensionDeadline`. */
export const ACCESS_KEY_NAMES_0_18_0 = {
  through: '0.18.0',
  renamed: { expiry: 'ttl', inactivityTimeout: 'extensionDeadline' },
} as const satisfies OlderShape

/** Infra 0.16.1 and older filtered access keys by `user_id` and `show_expired`. */
export const ACCESS_KEY_FILTER_NAMES_0_16_1 = {
  through: '0.16.1',
  renamed: { userID: 'user_id', showExpired: 'show_expired' },
} as const satisfies OlderShape

export const AccessKey = z
  .object({
    id: Id,
    name: z.string(),
    created: Timestamp,
    expires: Timestamp,
    inactivityTimeout: Timestamp.describe('The key expires early unless used by then'),
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
  expiry: Duration.optional().describe('How long the key is valid (default 720h)'),
  inactivityTimeout: Duration.optional().describe(
    'The key expires early unless used within this window (default 720h)',
  ),
})
export type CreateAccessKeyRequest = z.input<typeof CreateAccessKeyRequest>

export const CreateAccessKeyResponse = AccessKey.extend({
  accessKey: z.string().describe('The key itself, shown only once'),
}).meta({ id: 'CreatedAccessKey' })
export type CreateAccessKeyResponse = z.infer<typeof CreateAccessKeyResponse>
