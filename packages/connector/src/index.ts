export {
  desiredBindings,
  CONNECT_PRIVILEGE,
  type DesiredBinding,
  type SubjectNames,
} from './rbac/desired-bindings.js'
export { planBindings, reconcileBindings, bindingName, type PlannedBinding } from './rbac/reconciler.js'
export {
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  MANAGED_SELECTOR,
  DESTINATION_LABEL,
  ownedSelector,
} from './rbac/labels.js'
export {
  parseConfig,
  ConfigError,
  HELP,
  DEFAULT_ROLES,
  INCLUDE_ROLE_LABEL,
  type ConnectorConfig,
} from './config.js'
export {
  startConnector,
  type RunningConnector,
  type ConnectorOptions,
  type ReconcileReport,
} from './connector.js'
export { TokenVerifier, TokenError, type TokenIdentity } from './auth/tokens.js'
export { AccessList } from './auth/access.js'
export { KubeProxy } from './proxy/proxy.js'
export { checkRequestHeaders, checkPath } from './proxy/headers.js'
export { describeRequest, type KubeRequestInfo } from './audit/kube-request.js'
export { KubeConnection } from './kube/connection.js'
export { isEligibleRole, RegistrationError } from './registration.js'
export { generateAuthority, issueServingCertificate } from './tls/authority.js'
