import type { JsonWebKeySet } from '@infra/api-types'
import { InvalidError } from '../domain/errors.js'
import { auditContext } from '../http/audit-context.js'
import type { HandlersFor } from '../http/handler.js'
import { logInWithAccessKey, logInWithPassword, logInWithProvider, logOut } from '../services/logins.js'
import { createToken } from '../services/tokens.js'

export const authHandlers: HandlersFor<'login' | 'logout' | 'createToken' | 'getJwks'> = {
  login: async ({ ctx, body, origin }) => {
    if (body.accessKey !== undefined) return logInWithAccessKey(ctx, body.accessKey, origin)
    if (body.passwordCredentials !== undefined)
      return logInWithPassword(ctx, body.passwordCredentials, origin)
    if (body.oidc !== undefined) return logInWithProvider(ctx, body.oidc, origin)
    throw new InvalidError('a login method is required')
  },

  logout: ({ ctx, caller, origin }) => logOut(ctx.db, caller, auditContext(caller, origin)),

  createToken: ({ ctx, caller, body, origin }) =>
    createToken(ctx.db, ctx.tokens, caller, body?.destination, auditContext(caller, origin)),

  getJwks: ({ ctx }) => Promise.resolve(ctx.tokens.jwks() as JsonWebKeySet),
}
