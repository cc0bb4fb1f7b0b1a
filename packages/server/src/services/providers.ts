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
import type { AuditContext } from '../http/audit-context.js'
import { recordAuditEvent } from './audit.js'
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

type ProviderEvent = 'provider.created' | 'provider.updated' | 'provider.removed'

/** Runs a write of a provider in a transaction with its audit event; the write answers the provider it wrote. */
async function recording<T extends { id: string; name: string }>(
  db: Database,
  type: ProviderEvent,
  by: AuditContext,
  details: Record<string, unknown>,
  write: (tx: Prisma.TransactionClient) => Promise<T>,
): Promise<T> {
  return db.$transaction(async (tx) => {
    const provider = await write(tx)
    const target = { kind: 'provider', id: provider.id, name: provider.name }
    await recordAuditEvent(tx, { type, outcome: 'success', ...by, target, details })
    return provider
  })
}

export async function createProvider(
  db: Database,
  box: SecretBox,
  input: ProviderInput,
  by: AuditContext,
): Promise<Provider> {
  const provider = await naming(input.name, () =>
    recording(db, 'provider.created', by, { url: issuerUrl(input.url) }, (tx) =>
      tx.provider.create({ data: { id: newId(), ...columns(box, input) } }),
    ),
  )
  return toApiProvider(provider)
}

/** Which fields a change sets (never their values: one is the client secret). */
const fieldsOf = (data: Prisma.ProviderUpdateManyMutationInput) => Object.keys(data).sort()

async function updated(
  db: Database,
  id: string,
  by: AuditContext,
  data: Prisma.ProviderUpdateManyMutationInput,
  name?: string,
) {
  await naming(name, () =>
    recording(db, 'provider.updated', by, { fields: fieldsOf(data) }, async (tx) => {
      const { count } = await tx.provider.updateMany({ where: { id }, data })
      if (count === 0) throw new NotFoundError('provider')
      return tx.provider.findUniqueOrThrow({ where: { id }, select: { id: true, name: true } })
    }),
  )
  return getProvider(db, id)
}

export const replaceProvider = (
  db: Database,
  box: SecretBox,
  id: string,
  input: ProviderInput,
  by: AuditContext,
) => updated(db, id, by, columns(box, input), input.name)

export const patchProvider = (
  db: Database,
  box: SecretBox,
  id: string,
  input: z.output<typeof PatchProviderRequest>,
  by: AuditContext,
) =>
  updated(
    db,
    id,
    by,
    {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.clientSecret !== undefined ? { clientSecret: box.sealText(input.clientSecret) } : {}),
    },
    input.name,
  )

export async function deleteProvider(db: Database, id: string, by: AuditContext): Promise<void> {
  await recording(db, 'provider.removed', by, {}, async (tx) => {
    const provider = await tx.provider.findUnique({ where: { id }, select: { id: true, name: true } })
    const { count } = await tx.provider.deleteMany({ where: { id } })
    if (count === 0 || !provider) throw new NotFoundError('provider')
    return provider
  })
}
