import { z } from 'zod'
import { Id, Timestamp, UserName } from '../primitives.js'
import { RegisteredDestinationName } from './destinations.js'

export const ACCESS_KEY_PATTERN = /^[0-9A-Za-z]{10}\.[0-9A-Za-z]{24}$/

export const AccessKeySecret = z
  .string()
  .regex(ACCESS_KEY_PATTERN, 'must be an access key "<keyID>.<secret>"')

const loginMethods = ['accessKey', 'passwordCredentials', 'oidc'] as const

export const LoginRequest = z
  .object({
    accessKey: AccessKeySecret.optional(),
    passwordCredentials: z.object({ name: UserName, password: z.string().min(1).max(256) }).optional(),
    oidc: z
      .object({
        providerID: Id,
        redirectURL: z.string().min(1).max(2048),
        code: z.string().min(1).max(4096),
        codeVerifier: z.string().min(43).max(128).optional(),
      })
      .optional(),
  })
  .superRefine((login, ctx) => {
    if (loginMethods.filter((method) => login[method] !== undefined).length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['accessKey'],
        message: 'exactly one of accessKey, passwordCredentials or oidc is required',
      })
    }
  })
export type LoginRequest = z.infer<typeof LoginRequest>

export const LoginResponse = z
  .object({
    userID: Id,
    name: z.string(),
    accessKey: z.string(),
    expires: Timestamp,
    passwordUpdateRequired: z.boolean().optional(),
  })
  .meta({ id: 'LoginResponse' })
export type LoginResponse = z.infer<typeof LoginResponse>

export const CreateTokenRequest = z
  .object({
    destination: RegisteredDestinationName.optional().meta({
      description:
        'The destination the token is for: its connector accepts it, every other refuses it. Without one ' +
        "(as Infra's own CLI asks), the token names no destination, which only connectors that do not check " +
        'audiences accept.',
      example: 'production',
    }),
  })
  .meta({ id: 'CreateTokenRequest' })
export type CreateTokenRequest = z.input<typeof CreateTokenRequest>

export const CreateTokenResponse = z
  .object({ token: z.string(), expires: Timestamp })
  .meta({ id: 'Token', description: 'A short-lived JWT for kubectl and the connector' })
export type CreateTokenResponse = z.infer<typeof CreateTokenResponse>

export const JsonWebKey = z.looseObject({
  kty: z.string(),
  kid: z.string(),
  alg: z.string().optional(),
  use: z.string().optional(),
  crv: z.string().optional(),
  x: z.string().optional(),
  y: z.string().optional(),
})

export const JsonWebKeySet = z.object({ keys: z.array(JsonWebKey) }).meta({ id: 'JWKS' })
export type JsonWebKeySet = z.infer<typeof JsonWebKeySet>

export const VersionResponse = z.object({ version: z.string() }).meta({ id: 'Version' })
export type VersionResponse = z.infer<typeof VersionResponse>

export const EmptyRequest = z.object({})
