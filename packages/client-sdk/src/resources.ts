import { createAuditResource, type AuditResource } from './audit.js'
import type { InfraClient } from './client.js'
import type { RequestOptions } from './http.js'
import type { PageIterator } from './pagination.js'
import type {
  BodyOf,
  CallOutput,
  FilterOf,
  ItemOf,
  ListRouteName,
  LongPollRouteName,
  ParamsOf,
  QueryOf,
  WatchFilterOf,
} from './types.js'
import type { WatchOptions } from './watch.js'

type Id<K extends keyof InfraClient['api']> = ParamsOf<K> extends { id: infer I } ? I : never

/** The list helpers every list route gets: one page, or a walk over all of them. */
export interface Listing<K extends ListRouteName> {
  /** One page: `page` (from 1) and `limit` (at most 1000) pick it. */
  list(query?: QueryOf<K>, options?: RequestOptions): Promise<CallOutput<K>>
  /** Every item across pages: `for await (const item of ...)`, or `await` it for an array. */
  iterate(query?: FilterOf<K> & { page?: number }, options?: RequestOptions): PageIterator<ItemOf<K>>
  /** The same walk as `iterate`; reads better as `await client.users.listAll()`. */
  listAll(query?: FilterOf<K> & { page?: number }, options?: RequestOptions): PageIterator<ItemOf<K>>
}

export interface Watching<K extends LongPollRouteName> {
  /** The full list now and each time it changes, until `options.signal` aborts; see {@link WatchOptions}. */
  watch(filter?: WatchFilterOf<K>, options?: WatchOptions): AsyncGenerator<ItemOf<K>[], void, undefined>
}

function listing<K extends ListRouteName>(client: InfraClient, name: K): Listing<K> {
  // The table guarantees a list route takes an optional query; TypeScript cannot see that through generic K.
  const list = client.api[name] as (
    input?: { query?: QueryOf<K> },
    options?: RequestOptions,
  ) => Promise<CallOutput<K>>
  return {
    list: (query, options) => list(query === undefined ? undefined : { query }, options),
    iterate: (query, options) => client.paginate(name, query, options),
    listAll: (query, options) => client.paginate(name, query, options),
  }
}

function watching<K extends LongPollRouteName>(client: InfraClient, name: K): Watching<K> {
  return { watch: (filter, options) => client.watch(name, filter, options) }
}

export interface UsersResource extends Listing<'listUsers'> {
  /** A user by ID, or `'self'` for the caller. */
  get(id: Id<'getUser'>, options?: RequestOptions): Promise<CallOutput<'getUser'>>
  create(body: BodyOf<'createUser'>, options?: RequestOptions): Promise<CallOutput<'createUser'>>
  /** Sets a password; `oldPassword` is needed unless an admin sets another user's (which makes it one-time). */
  updatePassword(
    id: Id<'updateUser'>,
    body: BodyOf<'updateUser'>,
    options?: RequestOptions,
  ): Promise<CallOutput<'updateUser'>>
  delete(id: Id<'deleteUser'>, options?: RequestOptions): Promise<void>
}

export interface GroupsResource extends Listing<'listGroups'> {
  get(id: Id<'getGroup'>, options?: RequestOptions): Promise<CallOutput<'getGroup'>>
  create(body: BodyOf<'createGroup'>, options?: RequestOptions): Promise<CallOutput<'createGroup'>>
  delete(id: Id<'deleteGroup'>, options?: RequestOptions): Promise<void>
  /** Adds and removes members in one call. */
  updateUsers(
    id: Id<'updateGroupUsers'>,
    body: BodyOf<'updateGroupUsers'>,
    options?: RequestOptions,
  ): Promise<void>
}

export interface GrantsResource extends Listing<'listGrants'>, Watching<'listGrants'> {
  get(id: Id<'getGrant'>, options?: RequestOptions): Promise<CallOutput<'getGrant'>>
  /** Grants access; `wasCreated` is false when the same grant already existed. */
  create(body: BodyOf<'createGrant'>, options?: RequestOptions): Promise<CallOutput<'createGrant'>>
  /** Adds and removes grants in one transaction. */
  patch(body: BodyOf<'patchGrants'>, options?: RequestOptions): Promise<void>
  delete(id: Id<'deleteGrant'>, options?: RequestOptions): Promise<void>
}

export interface DestinationsResource extends Listing<'listDestinations'>, Watching<'listDestinations'> {
  get(id: Id<'getDestination'>, options?: RequestOptions): Promise<CallOutput<'getDestination'>>
  create(
    body: BodyOf<'createDestination'>,
    options?: RequestOptions,
  ): Promise<CallOutput<'createDestination'>>
  update(
    id: Id<'updateDestination'>,
    body: BodyOf<'updateDestination'>,
    options?: RequestOptions,
  ): Promise<CallOutput<'updateDestination'>>
  delete(id: Id<'deleteDestination'>, options?: RequestOptions): Promise<void>
}

export interface AccessKeysResource extends Listing<'listAccessKeys'> {
  /** The key itself (`accessKey`) is in this answer only. */
  create(body: BodyOf<'createAccessKey'>, options?: RequestOptions): Promise<CallOutput<'createAccessKey'>>
  delete(id: Id<'deleteAccessKey'>, options?: RequestOptions): Promise<void>
}

export interface ProvidersResource extends Listing<'listProviders'> {
  get(id: Id<'getProvider'>, options?: RequestOptions): Promise<CallOutput<'getProvider'>>
  create(body: BodyOf<'createProvider'>, options?: RequestOptions): Promise<CallOutput<'createProvider'>>
  delete(id: Id<'deleteProvider'>, options?: RequestOptions): Promise<void>
}

export interface Resources {
  users: UsersResource
  groups: GroupsResource
  grants: GrantsResource
  destinations: DestinationsResource
  accessKeys: AccessKeysResource
  providers: ProvidersResource
  audit: AuditResource
}

/** Thin, named shortcuts over `client.api`: each is one route of the table with its arguments spread out. */
export function createResources(client: InfraClient): Resources {
  const { api } = client
  return {
    users: {
      ...listing(client, 'listUsers'),
      get: (id, options) => api.getUser({ params: { id } }, options),
      create: (body, options) => api.createUser({ body }, options),
      updatePassword: (id, body, options) => api.updateUser({ params: { id }, body }, options),
      delete: (id, options) => api.deleteUser({ params: { id } }, options),
    },
    groups: {
      ...listing(client, 'listGroups'),
      get: (id, options) => api.getGroup({ params: { id } }, options),
      create: (body, options) => api.createGroup({ body }, options),
      delete: (id, options) => api.deleteGroup({ params: { id } }, options),
      updateUsers: (id, body, options) => api.updateGroupUsers({ params: { id }, body }, options),
    },
    grants: {
      ...listing(client, 'listGrants'),
      ...watching(client, 'listGrants'),
      get: (id, options) => api.getGrant({ params: { id } }, options),
      create: (body, options) => api.createGrant({ body }, options),
      patch: (body, options) => api.patchGrants({ body }, options),
      delete: (id, options) => api.deleteGrant({ params: { id } }, options),
    },
    destinations: {
      ...listing(client, 'listDestinations'),
      ...watching(client, 'listDestinations'),
      get: (id, options) => api.getDestination({ params: { id } }, options),
      create: (body, options) => api.createDestination({ body }, options),
      update: (id, body, options) => api.updateDestination({ params: { id }, body }, options),
      delete: (id, options) => api.deleteDestination({ params: { id } }, options),
    },
    accessKeys: {
      ...listing(client, 'listAccessKeys'),
      create: (body, options) => api.createAccessKey({ body }, options),
      delete: (id, options) => api.deleteAccessKey({ params: { id } }, options),
    },
    providers: {
      ...listing(client, 'listProviders'),
      get: (id, options) => api.getProvider({ params: { id } }, options),
      create: (body, options) => api.createProvider({ body }, options),
      delete: (id, options) => api.deleteProvider({ params: { id } }, options),
    },
    audit: createAuditResource(client),
  }
}
