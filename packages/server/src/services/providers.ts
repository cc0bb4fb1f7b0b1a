import type {
  CreateProviderRequest,
  ListProvidersQuery,
  Page,
  PatchProviderRequest,
  Provider,
} from '@infra/api-types'
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

type ProviderInput = z.output<typeof CreateProviderRequest>

const columns = (box: SecretBox, input: ProviderInput) => ({
  name: input.name,
  kind: input.kind,
  url: issuerUrl(input.url),
  clientID: input.clientID,
  // Sealed under the root key; only the login flow ever needs it back.
  clientSecret: box.sealText(input.clientSecret),
  // Filled from the issuer's discovery document at the first login through the provider.
  authURL: '',
  scopes: input.scopes ?? DEFAULT_SCOPES,
})

/** Runs a write of a provider, answering a taken name as a conflict. */
async function naming<T>(name: string | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write()
  } catch (error) {
    if (isUniqueViolation(error) && name !== undefined) throw nameTaken('provider', name)
    throw error
  }
}

export async function createProvider(db: Database, box: SecretBox, input: ProviderInput): Promise<Provider> {
  const provider = await naming(input.name, () =>
    db.provider.create({ data: { id: newId(), ...columns(box, input) } }),
  )
  return toApiProvider(provider)
}

async function updated(
  db: Database,
  id: string,
  data: Prisma.ProviderUpdateManyMutationInput,
  name?: string,
) {
  const { count } = await naming(name, () => db.provider.updateMany({ where: { id }, data }))
  if (count === 0) throw new NotFoundError('provider')
  return getProvider(db, id)
}

export const replaceProvider = (db: Database, box: SecretBox, id: string, input: ProviderInput) =>
  updated(db, id, columns(box, input), input.name)

export const patchProvider = (
  db: Database,
  box: SecretBox,
  id: string,
  input: z.output<typeof PatchProviderRequest>,
) =>
  updated(
    db,
    id,
    {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.clientSecret !== undefined ? { clientSecret: box.sealText(input.clientSecret) } : {}),
    },
    input.name,
  )

export async function deleteProvider(db: Database, id: string): Promise<void> {
  const { count } = await db.provider.deleteMany({ where: { id } })
  if (count === 0) throw new NotFoundError('provider')
}
