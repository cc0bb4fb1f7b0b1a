import type { HandlersFor } from '../http/handler.js'
import { createProvider, deleteProvider, getProvider, listProviders } from '../services/providers.js'

export const providerHandlers: HandlersFor<
  'listProviders' | 'createProvider' | 'getProvider' | 'deleteProvider'
> = {
  listProviders: ({ ctx, query }) => listProviders(ctx.db, query),
  createProvider: ({ ctx, body }) => createProvider(ctx.db, ctx.secrets, body),
  getProvider: ({ ctx, params }) => getProvider(ctx.db, params.id),
  deleteProvider: async ({ ctx, params }) => {
    await deleteProvider(ctx.db, params.id)
  },
}
