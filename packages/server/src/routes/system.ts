import type { HandlersFor } from '../http/handler.js'
import { SERVER_VERSION } from '../version.js'

export const systemHandlers: HandlersFor<'getVersion'> = {
  getVersion: () => Promise.resolve({ version: SERVER_VERSION }),
}
