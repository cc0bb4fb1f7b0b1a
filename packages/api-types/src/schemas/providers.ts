import { z } from 'zod'
import { Id, Timestamp } from '../primitives.js'
import { PaginationQuery } from '../query.js'

export const ProviderKind = z.enum(['oidc', 'okta', 'azure', 'google'])

export const Provider = z
  .object({
    id: Id,
    name: z.string(),
    created: Timestamp,
    updated: Timestamp,
    url: z.string(),
    clientID: z.string(),
    kind: ProviderKind,
    authURL: z.string(),
    scopes: z.array(z.string()),
  })
  .meta({ id: 'Provider' })
export type Provider = z.infer<typeof Provider>

export const ListProvidersQuery = PaginationQuery.extend({ name: z.string().optional() })
export type ListProvidersQuery = z.input<typeof ListProvidersQuery>

const ProviderName = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9_-]+$/, 'may contain only letters, digits, "-" and "_"')

const ClientSecret = z.string().min(1).max(1024)

/** A whole provider: what creates one (POST) and replaces one (PUT). */
export const CreateProviderRequest = z.object({
  name: ProviderName,
  url: z.string().min(1).max(2048).describe('The issuer URL or host of the OpenID Provider'),
  clientID: z.string().min(1).max(512),
  clientSecret: ClientSecret,
  kind: ProviderKind.optional().default('oidc'),
  scopes: z.array(z.string().min(1).max(256)).max(50).optional(),
})
export type CreateProviderRequest = z.input<typeof CreateProviderRequest>

/** Renames a provider or rotates its client secret, leaving the rest as it is. */
export const PatchProviderRequest = z.object({
  name: ProviderName.optional(),
  clientSecret: ClientSecret.optional(),
})
export type PatchProviderRequest = z.input<typeof PatchProviderRequest>
