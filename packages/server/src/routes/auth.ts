import type { JsonWebKeySet } from '@infra/api-types'
import { InvalidError } from '../domain/errors.js'
import type { HandlersFor } from '../http/handler.js'
import { logInWithAccessKey, logInWithPassword, logInWithProvider, logOut } from '../services/logins.js'
import { createToken } from '../services/tokens.js'

export const authHandlers: HandlersFor<'login' | 'logout' | 'createToken' | 'getJwks'> = {
  login: async ({ ctx, body }) => {
    if (body.accessKey !== undefined) return logInWithAccessKey(ctx, body.accessKey)
    if (body.passwordCredentials !== undefined) return logInWithPassword(ctx, body.passwordCredentials)
    if (body.oidc !== undefined) return logInWithProvider(ctx, body.oidc)
    throw new InvalidError('a login method is required')
  },

  logout: ({ ctx, caller }) => logOut(ctx.db, caller.accessKeyId),

  createToken: ({ ctx, caller, body }) => createToken(ctx.db, ctx.tokens, caller, body?.destination),

  getJwks: ({ ctx }) => Promise.resolve(ctx.tokens.jwks() as JsonWebKeySet),
}
