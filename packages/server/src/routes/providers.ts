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
  createProvider: ({ ctx, body }) => createProvider(ctx.db, ctx.secrets, body),
  getProvider: ({ ctx, params }) => getProvider(ctx.db, params.id),
  updateProvider: ({ ctx, params, body }) => replaceProvider(ctx.db, ctx.secrets, params.id, body),
  patchProvider: ({ ctx, params, body }) => patchProvider(ctx.db, ctx.secrets, params.id, body),
  deleteProvider: async ({ ctx, params }) => {
    await deleteProvider(ctx.db, params.id)
  },
}
