export { InfraClient, type InfraClientOptions, type RouteMethods } from './client.js'
export {
  InfraError,
  InfraApiError,
  InfraNetworkError,
  InfraTimeoutError,
  InfraResponseValidationError,
  isInfraApiError,
  type InfraApiErrorInit,
  type InfraResponseValidationErrorInit,
} from './errors.js'
export type { FetchFunction, RequestOptions, RetryListener, RetryOptions } from './http.js'
export type { AuditResource, FollowOptions } from './audit.js'
export { PageIterator } from './pagination.js'
export type {
  AccessKeysResource,
  DestinationsResource,
  GrantsResource,
  GroupsResource,
  Listing,
  ProvidersResource,
  Resources,
  UsersResource,
  Watching,
} from './resources.js'
export { parseServerUrl } from './server-url.js'
export type { TlsOptions } from './tls.js'
export type {
  BodyOf,
  CallArgs,
  CallInput,
  CallOutput,
  FilterOf,
  ItemOf,
  ListRouteName,
  LongPollRouteName,
  ParamsOf,
  QueryOf,
  StreamRouteName,
  WatchFilterOf,
} from './types.js'
export { SDK_VERSION } from './version.js'
export type { WatchOptions } from './watch.js'
// The contract's types, so callers need not depend on @infra/api-types just to name a User.
export type {
  AccessKey,
  CreateAccessKeyResponse,
  CreateGrantResponse,
  CreateTokenResponse,
  CreateUserResponse,
  Destination,
  ErrorBody,
  FieldError,
  Grant,
  Group,
  JsonWebKeySet,
  LoginResponse,
  Page,
  Provider,
  RouteName,
  User,
  VersionResponse,
} from '@infra/api-types'
