export { agent } from './agent.js'
export { login } from './login.js'
export { logout, list, use, info, version, about } from './session.js'
export { usersAdd, usersEdit, usersList, usersRemove } from './users.js'
export { groupsAdd, groupsAddUser, groupsList, groupsRemove, groupsRemoveUser } from './users.js'
export { grantsAdd, grantsList, grantsRemove } from './grants.js'
export {
  destinationsList,
  destinationsRemove,
  keysAdd,
  keysList,
  keysRemove,
  providersAdd,
  providersList,
  providersRemove,
} from './resources.js'
