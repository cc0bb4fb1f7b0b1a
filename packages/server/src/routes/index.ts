import type { Handlers } from '../http/handler.js'
import { accessKeyHandlers } from './access-keys.js'
import { auditHandlers } from './audit.js'
import { authHandlers } from './auth.js'
import { destinationHandlers } from './destinations.js'
import { grantHandlers } from './grants.js'
import { groupHandlers } from './groups.js'
import { providerHandlers } from './providers.js'
import { systemHandlers } from './system.js'
import { userHandlers } from './users.js'

export const handlers: Handlers = {
  ...userHandlers,
  ...groupHandlers,
  ...grantHandlers,
  ...providerHandlers,
  ...destinationHandlers,
  ...accessKeyHandlers,
  ...authHandlers,
  ...auditHandlers,
  ...systemHandlers,
}
