import { z } from 'zod'
import { Id, UserRef } from './primitives.js'
import { paginated } from './query.js'
import type { InfraRole } from './resource.js'
import {
  ACCESS_KEY_FILTER_NAMES_0_16_1,
  ACCESS_KEY_NAMES_0_18_0,
  AccessKey,
  CreateAccessKeyRequest,
  CreateAccessKeyResponse,
  ListAccessKeysQuery,
} from './schemas/access-keys.js'
import {
  AuditEvent,
  AuditEventId,
  AuditEventPage,
  AuditHead,
  AuditVerifyResult,
  IngestAuditEventsRequest,
  IngestAuditEventsResponse,
  ListAuditEventsQuery,
  StreamAuditEventsQuery,
} from './schemas/audit.js'
import {
  CreateTokenRequest,
  CreateTokenResponse,
  EmptyRequest,
  JsonWebKeySet,
  LoginRequest,
  LoginResponse,
  VersionResponse,
} from './schemas/auth.js'
import { Destination, DestinationRequest, ListDestinationsQuery } from './schemas/destinations.js'
import { CreateGroupRequest, Group, ListGroupsQuery, UpdateGroupUsersRequest } from './schemas/groups.js'
import {
  CreateGrantResponse,
  GRANT_NAMES_0_18_1,
  Grant,
  GrantRequest,
  ListGrantsQuery,
  PatchGrantsRequest,
} from './schemas/grants.js'
import {
  CreateProviderRequest,
  ListProvidersQuery,
  PatchProviderRequest,
  Provider,
} from './schemas/providers.js'
import {
  CreateUserRequest,
  CreateUserResponse,
  ListUsersQuery,
  UpdateUserRequest,
  User,
} from './schemas/users.js'

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/**
 * Who may call a route:
 * - `public`: anyone, no access key;
 * - `authenticated`: any valid key; the handler narrows what a caller without a role sees (e.g. only themselves);
 * - a list of Infra roles: a caller holding one of them (grants on the resource `infra`, direct or via a group).
 */
export type RouteAccess = 'public' | 'authenticated' | readonly InfraRole[]

/**
 * The names a route's fields had for older clients, as Infra's versioned handlers kept them: a client whose
 * `Infra-Version` is at or below `through` sends and receives `renamed[name]` in place of each current name,
 * in the query, the body and the response (or each item of a listed page).
 */
export interface OlderShape {
  through: string
  renamed: Readonly<Record<string, string>>
}

export interface RouteDefinition {
  method: HttpMethod
  path: string
  summary: string
  tag: string
  access: RouteAccess
  params?: z.ZodObject
  query?: z.ZodType
  body?: z.ZodType
  /** null for routes answering with no body. */
  response: z.ZodType | null
  successStatus: 200 | 201 | 204
  /** Whether the route is outside `/api` and so needs no `Infra-Version` header. */
  unversioned?: boolean
  /** Whether the route long-polls when `lastUpdateIndex` is given. */
  longPoll?: boolean
  /**
   * Whether the route answers NDJSON, one `response` per line, written as they come (a follow stream): the
   * client reads lines until the server ends the answer, and resumes from the last one it read.
   */
  streams?: boolean
  /** Whether a key limited to changing its password (after a one-time password login) may call it. */
  allowedDuringPasswordReset?: boolean
  /** Whether the body carries credentials (a login), which the server answers with 401 when they are not valid. */
  credentialsInBody?: boolean
  /** Whether the body names other resources (a grant's user or group, a key's user): 404 when one does not exist. */
  referencesInBody?: boolean
  /** Whether a creation answers 200 with the existing resource, rather than 201, when it already exists. */
  okWhenExisting?: boolean
  /**
   * Whether a POST may be sent again when its answer was lost or was a 503: repeating it leaves things as one
   * call would (a fresh short-lived token, a grant answered 200 when it exists). Clients retry
   * GET, PUT and DELETE anyway, and never the other POSTs or PATCH.
   */
  safeToRetry?: boolean
  /** Whether a deletion can take away the last admin grant on infra, which the server refuses with 409. */
  guardsLastAdmin?: boolean
  /** Field names of earlier versions; the OpenAPI document shows the current ones. */
  olderShapes?: readonly OlderShape[]
}

const IdParams = z.object({ id: Id })
const UserParams = z.object({ id: UserRef })

function route<const R extends RouteDefinition>(definition: R): R {
  return definition
}

const ADMIN = ['admin'] as const
const CONNECTOR_OR_READERS = ['admin', 'view', 'connector'] as const
const CONNECTOR_OR_ADMIN = ['admin', 'connector'] as const
const AUDIT_READERS = ['admin', 'auditor'] as const

/** Every route of the Infra API. The server, the SDK and the CLI are all driven from this table. */
export const routes = {
  // Users
  listUsers: route({
    method: 'GET',
    path: '/api/users',
    tag: 'Users',
    summary: 'List users',
    access: CONNECTOR_OR_READERS,
    query: ListUsersQuery,
    response: paginated(User),
    successStatus: 200,
  }),
  createUser: route({
    method: 'POST',
    path: '/api/users',
    tag: 'Users',
    summary: 'Create a user',
    access: ADMIN,
    body: CreateUserRequest,
    response: CreateUserResponse,
    successStatus: 201,
  }),
  getUser: route({
    method: 'GET',
    path: '/api/users/{id}',
    tag: 'Users',
    summary: 'Get a user',
    access: 'authenticated',
    params: UserParams,
    response: User,
    successStatus: 200,
    allowedDuringPasswordReset: true,
  }),
  updateUser: route({
    method: 'PUT',
    path: '/api/users/{id}',
    tag: 'Users',
    summary: "Update a user's password",
    access: 'authenticated',
    params: UserParams,
    body: UpdateUserRequest,
    response: User,
    successStatus: 200,
    allowedDuringPasswordReset: true,
  }),
  deleteUser: route({
    method: 'DELETE',
    path: '/api/users/{id}',
    tag: 'Users',
    summary: 'Delete a user',
    access: ADMIN,
    params: UserParams,
    response: null,
    successStatus: 204,
    guardsLastAdmin: true,
  }),

  // Groups
  listGroups: route({
    method: 'GET',
    path: '/api/groups',
    tag: 'Groups',
    summary: 'List groups',
    access: 'authenticated',
    query: ListGroupsQuery,
    response: paginated(Group),
    successStatus: 200,
  }),
  createGroup: route({
    method: 'POST',
    path: '/api/groups',
    tag: 'Groups',
    summary: 'Create a group',
    access: ADMIN,
    body: CreateGroupRequest,
    response: Group,
    successStatus: 201,
  }),
  getGroup: route({
    method: 'GET',
    path: '/api/groups/{id}',
    tag: 'Groups',
    summary: 'Get a group',
    access: 'authenticated',
    params: IdParams,
    response: Group,
    successStatus: 200,
  }),
  deleteGroup: route({
    method: 'DELETE',
    path: '/api/groups/{id}',
    tag: 'Groups',
    summary: 'Delete a group',
    access: ADMIN,
    params: IdParams,
    response: null,
    successStatus: 204,
    guardsLastAdmin: true,
  }),
  updateGroupUsers: route({
    method: 'PATCH',
    path: '/api/groups/{id}/users',
    tag: 'Groups',
    summary: 'Add users to and remove users from a group',
    access: ADMIN,
    params: IdParams,
    body: UpdateGroupUsersRequest,
    response: null,
    successStatus: 204,
  }),

  // Grants
  listGrants: route({
    method: 'GET',
    path: '/api/grants',
    tag: 'Grants',
    summary: 'List grants (long-polls with lastUpdateIndex)',
    access: 'authenticated',
    query: ListGrantsQuery,
    response: paginated(Grant),
    successStatus: 200,
    longPoll: true,
    olderShapes: [GRANT_NAMES_0_18_1],
  }),
  createGrant: route({
    method: 'POST',
    path: '/api/grants',
    tag: 'Grants',
    summary: 'Grant access',
    access: ADMIN,
    body: GrantRequest,
    response: CreateGrantResponse,
    successStatus: 201,
    referencesInBody: true,
    okWhenExisting: true,
    safeToRetry: true,
    olderShapes: [GRANT_NAMES_0_18_1],
  }),
  patchGrants: route({
    method: 'PATCH',
    path: '/api/grants',
    tag: 'Grants',
    summary: 'Add and remove grants in one transaction',
    access: ADMIN,
    body: PatchGrantsRequest,
    response: null,
    successStatus: 204,
    referencesInBody: true,
  }),
  getGrant: route({
    method: 'GET',
    path: '/api/grants/{id}',
    tag: 'Grants',
    summary: 'Get a grant',
    access: 'authenticated',
    params: IdParams,
    response: Grant,
    successStatus: 200,
    olderShapes: [GRANT_NAMES_0_18_1],
  }),
  deleteGrant: route({
    method: 'DELETE',
    path: '/api/grants/{id}',
    tag: 'Grants',
    summary: 'Remove a grant',
    access: ADMIN,
    params: IdParams,
    response: null,
    successStatus: 204,
    guardsLastAdmin: true,
  }),

  // Providers
  listProviders: route({
    method: 'GET',
    path: '/api/providers',
    tag: 'Providers',
    summary: 'List identity providers',
    access: 'public',
    query: ListProvidersQuery,
    response: paginated(Provider),
    successStatus: 200,
  }),
  createProvider: route({
    method: 'POST',
    path: '/api/providers',
    tag: 'Providers',
    summary: 'Add an identity provider',
    access: ADMIN,
    body: CreateProviderRequest,
    response: Provider,
    successStatus: 201,
  }),
  getProvider: route({
    method: 'GET',
    path: '/api/providers/{id}',
    tag: 'Providers',
    summary: 'Get an identity provider',
    access: 'public',
    params: IdParams,
    response: Provider,
    successStatus: 200,
  }),
  updateProvider: route({
    method: 'PUT',
    path: '/api/providers/{id}',
    tag: 'Providers',
    summary: 'Replace an identity provider',
    access: ADMIN,
    params: IdParams,
    body: CreateProviderRequest,
    response: Provider,
    successStatus: 200,
  }),
  patchProvider: route({
    method: 'PATCH',
    path: '/api/providers/{id}',
    tag: 'Providers',
    summary: 'Rename an identity provider or change its client secret',
    access: ADMIN,
    params: IdParams,
    body: PatchProviderRequest,
    response: Provider,
    successStatus: 200,
  }),
  deleteProvider: route({
    method: 'DELETE',
    path: '/api/providers/{id}',
    tag: 'Providers',
    summary: 'Remove an identity provider',
    access: ADMIN,
    params: IdParams,
    response: null,
    successStatus: 204,
  }),

  // Destinations
  listDestinations: route({
    method: 'GET',
    path: '/api/destinations',
    tag: 'Destinations',
    summary: 'List destinations (long-polls with lastUpdateIndex)',
    access: 'authenticated',
    query: ListDestinationsQuery,
    response: paginated(Destination),
    successStatus: 200,
    longPoll: true,
  }),
  createDestination: route({
    method: 'POST',
    path: '/api/destinations',
    tag: 'Destinations',
    summary: 'Register a destination',
    access: CONNECTOR_OR_ADMIN,
    body: DestinationRequest,
    response: Destination,
    successStatus: 201,
  }),
  getDestination: route({
    method: 'GET',
    path: '/api/destinations/{id}',
    tag: 'Destinations',
    summary: 'Get a destination',
    access: 'authenticated',
    params: IdParams,
    response: Destination,
    successStatus: 200,
  }),
  updateDestination: route({
    method: 'PUT',
    path: '/api/destinations/{id}',
    tag: 'Destinations',
    summary: 'Update a destination',
    access: CONNECTOR_OR_ADMIN,
    params: IdParams,
    body: DestinationRequest,
    response: Destination,
    successStatus: 200,
  }),
  deleteDestination: route({
    method: 'DELETE',
    path: '/api/destinations/{id}',
    tag: 'Destinations',
    summary: 'Remove a destination',
    access: ADMIN,
    params: IdParams,
    response: null,
    successStatus: 204,
  }),

  // Access keys
  listAccessKeys: route({
    method: 'GET',
    path: '/api/access-keys',
    tag: 'Access keys',
    summary: 'List access keys',
    access: 'authenticated',
    query: ListAccessKeysQuery,
    response: paginated(AccessKey),
    successStatus: 200,
    olderShapes: [ACCESS_KEY_NAMES_0_18_0, ACCESS_KEY_FILTER_NAMES_0_16_1],
  }),
  createAccessKey: route({
    method: 'POST',
    path: '/api/access-keys',
    tag: 'Access keys',
    summary: 'Create an access key (shown once)',
    access: 'authenticated',
    body: CreateAccessKeyRequest,
    response: CreateAccessKeyResponse,
    successStatus: 201,
    referencesInBody: true,
    olderShapes: [ACCESS_KEY_NAMES_0_18_0],
  }),
  deleteAccessKey: route({
    method: 'DELETE',
    path: '/api/access-keys/{id}',
    tag: 'Access keys',
    summary: 'Revoke an access key',
    access: 'authenticated',
    params: IdParams,
    response: null,
    successStatus: 204,
  }),

  // Authentication
  login: route({
    method: 'POST',
    path: '/api/login',
    tag: 'Authentication',
    summary: 'Log in and receive an access key',
    access: 'public',
    body: LoginRequest,
    response: LoginResponse,
    successStatus: 201,
    credentialsInBody: true,
  }),
  logout: route({
    method: 'POST',
    path: '/api/logout',
    tag: 'Authentication',
    summary: 'Revoke the calling access key',
    access: 'authenticated',
    body: EmptyRequest.optional(),
    response: null,
    successStatus: 204,
    allowedDuringPasswordReset: true,
  }),
  createToken: route({
    method: 'POST',
    path: '/api/tokens',
    tag: 'Authentication',
    summary: 'Create a short-lived token for kubectl at one destination',
    access: 'authenticated',
    body: CreateTokenRequest.optional(),
    response: CreateTokenResponse,
    successStatus: 201,
    safeToRetry: true,
  }),
  getJwks: route({
    method: 'GET',
    path: '/.well-known/jwks.json',
    tag: 'Authentication',
    summary: 'Public keys that verify tokens from POST /api/tokens',
    access: 'public',
    response: JsonWebKeySet,
    successStatus: 200,
    unversioned: true,
  }),

  // Audit
  ingestAuditEvents: route({
    method: 'POST',
    path: '/api/audit/events',
    tag: 'Audit',
    summary: "Store a connector's audit events (kube.* only; an ID already stored counts as a duplicate)",
    access: ['connector'],
    body: IngestAuditEventsRequest,
    response: IngestAuditEventsResponse,
    successStatus: 200,
    referencesInBody: true,
    safeToRetry: true,
  }),
  listAuditEvents: route({
    method: 'GET',
    path: '/api/audit/events',
    tag: 'Audit',
    summary: 'List audit events, oldest first (keyset pages: pass `next` as `after`)',
    access: AUDIT_READERS,
    query: ListAuditEventsQuery,
    response: AuditEventPage,
    successStatus: 200,
  }),
  getAuditEvent: route({
    method: 'GET',
    path: '/api/audit/events/{id}',
    tag: 'Audit',
    summary: 'Get an audit event',
    access: AUDIT_READERS,
    params: z.object({ id: AuditEventId }),
    response: AuditEvent,
    successStatus: 200,
  }),
  streamAuditEvents: route({
    method: 'GET',
    path: '/api/audit/stream',
    tag: 'Audit',
    summary: 'Export audit events as NDJSON in the order they were stored; with follow, wait for new ones',
    access: AUDIT_READERS,
    query: StreamAuditEventsQuery,
    response: AuditEvent,
    successStatus: 200,
    streams: true,
  }),
  getAuditHead: route({
    method: 'GET',
    path: '/api/audit/head',
    tag: 'Audit',
    summary: "The audit chain's last event and hash, to anchor elsewhere",
    access: AUDIT_READERS,
    response: AuditHead,
    successStatus: 200,
  }),
  verifyAudit: route({
    method: 'POST',
    path: '/api/audit/verify',
    tag: 'Audit',
    summary: 'Check the audit chain for edited, deleted or reordered events',
    access: AUDIT_READERS,
    response: AuditVerifyResult,
    successStatus: 200,
    safeToRetry: true,
  }),

  // System
  getVersion: route({
    method: 'GET',
    path: '/api/version',
    tag: 'System',
    summary: "The server's version",
    access: 'public',
    response: VersionResponse,
    successStatus: 200,
  }),
} as const satisfies Record<string, RouteDefinition>

export type Routes = typeof routes
export type RouteName = keyof Routes

type InputOf<S> = S extends z.ZodType ? z.input<S> : never
type OutputOf<S> = S extends z.ZodType ? z.output<S> : never

/** What a caller passes for a route: path params, query and body as the schemas accept them. */
export type RouteInput<R extends RouteDefinition> = (R['params'] extends z.ZodType
  ? { params: InputOf<R['params']> }
  : unknown) &
  (R['query'] extends z.ZodType ? { query?: InputOf<R['query']> } : unknown) &
  (R['body'] extends z.ZodType ? { body: InputOf<R['body']> } : unknown)

/** What a route answers with, as the schema outputs it. */
export type RouteOutput<R extends RouteDefinition> = R['response'] extends z.ZodType
  ? OutputOf<R['response']>
  : void

/** Fills `{name}` placeholders of a route path. */
export function buildPath(path: string, params: Record<string, string> = {}): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name]
    if (value === undefined) throw new Error(`missing path parameter "${name}" for ${path}`)
    return encodeURIComponent(value)
  })
}
