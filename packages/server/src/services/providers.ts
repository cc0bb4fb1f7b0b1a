import type { CreateProviderRequest, ListProvidersQuery, Page, Provider } from '@infra/api-types'
import { withDefaultScheme } from '@infra/api-types'
import type { z } from 'zod'
import { isUniqueViolation } from '../db/errors.js'
import { newId } from '../db/ids.js'
import type { SecretBox } from '../auth/secret-box.js'
import type { Database, Prisma } from '../db/prisma.js'
import { NotFoundError, nameTaken } from '../domain/errors.js'
import { pageOf, skipTake } from './pagination.js'
import { toApiProvider } from './serialize.js'

const DEFAULT_SCOPES = ['openid', 'email', 'profile', 'groups']

export async function listProviders(
  db: Database,
  query: z.output<typeof ListProvidersQuery>,
): Promise<Page<Provider>> {
  const where: Prisma.ProviderWhereInput = query.name !== undefined ? { name: query.name } : {}
  const [providers, total] = await Promise.all([
    db.provider.findMany({ where, orderBy: [{ name: 'asc' }, { id: 'asc' }], ...skipTake(query) }),
    db.provider.count({ where }),
  ])
  return pageOf(providers.map(toApiProvider), total, query)
}

export async function getProvider(db: Database, id: string): Promise<Provider> {
  const provider = await db.provider.findUnique({ where: { id } })
  if (!provider) throw new NotFoundError('provider')
  return toApiProvider(provider)
}

/** Issuers are URLs; people often type just the host. */
const issuerUrl = (url: string) => withDefaultScheme(url).replace(/\/+$/, '')

export async function createProvider(
  db: Database,
  box: SecretBox,
  input: z.output<typeof CreateProviderRequest>,
): Promise<Provider> {
  try {
    const provider = await db.provider.create({
      data: {
        id: newId(),
        name: input.name,
        kind: input.kind,
        url: issuerUrl(input.url),
        clientID: input.clientID,
        // Sealed under the root key; only the login flow ever needs it back.
        clientSecret: box.sealText(input.clientSecret),
        // Filled from the issuer's discovery document at the first login through the provider.
        authURL: '',
        scopes: input.scopes ?? DEFAULT_SCOPES,
      },
    })
    return toApiProvider(provider)
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken('provider', input.name)
    throw error
  }
}

export async function deleteProvider(db: Database, id: string): Promise<void> {
  const { count } = await db.provider.deleteMany({ where: { id } })
  if (count === 0) throw new NotFoundError('provider')
}
