import { auditContext } from '../http/audit-context.js'
import type { HandlersFor } from '../http/handler.js'
import {
  createProvider,
  deleteProvider,
  getProvider,
  listProviders,
  patchProvider,
  replaceProvider,
} from '../services/providers.js'

export const providerHandlers: HandlersFor<
  'listProviders' | 'createProvider' | 'getProvider' | 'updateProvider' | 'patchProvider' | 'deleteProvider'
> = {
  listProviders: ({ ctx, query }) => listProviders(ctx.db, query),
  createProvider: ({ ctx, caller, body, origin }) =>
    createProvider(ctx.db, ctx.secrets, body, auditContext(caller, origin)),
  getProvider: ({ ctx, params }) => getProvider(ctx.db, params.id),
  updateProvider: ({ ctx, caller, params, body, origin }) =>
    replaceProvider(ctx.db, ctx.secrets, params.id, body, auditContext(caller, origin)),
  patchProvider: ({ ctx, caller, params, body, origin }) =>
    patchProvider(ctx.db, ctx.secrets, params.id, body, auditContext(caller, origin)),
  deleteProvider: async ({ ctx, caller, params, origin }) => {
    await deleteProvider(ctx.db, params.id, auditContext(caller, origin))
  },
}
