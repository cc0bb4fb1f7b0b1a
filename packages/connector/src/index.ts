export {
  desiredBindings,
  CONNECT_PRIVILEGE,
  type DesiredBinding,
  type SubjectNames,
} from './rbac/desired-bindings.js'
