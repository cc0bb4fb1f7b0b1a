import type { JsonWebKeySet } from '@infra/api-types'
import { authenticateKey } from '../auth/authenticate.js'
import { passwordMatches } from '../auth/passwords.js'
import { badRequest, unauthorized } from '../http/errors.js'
import type { HandlersFor } from '../http/handler.js'
import { issueAccessKey } from '../services/access-keys.js'
import { syncProviderUser } from '../services/provider-users.js'
import { ProviderLoginError, type ProviderIdentity } from '../auth/oidc.js'

// A key that only lets its holder replace a one-time password: short-lived on purpose.
const PASSWORD_RESET_TTL_MS = 15 * 60_000

export const authHandlers: HandlersFor<'login' | 'logout' | 'createToken' | 'getJwks'> = {
  login: async ({ ctx, body }) => {
    const session = { ttlMs: ctx.settings.sessionTtlMs, extensionMs: ctx.settings.sessionExtensionMs }
    if (body.accessKey !== undefined) {
      const presented = await authenticateKey(ctx, body.accessKey)
      const key = await issueAccessKey(ctx.db, {
        userId: presented.userId,
        ...session,
        scope: presented.keyScope,
        notAfter: presented.keyExpires,
      })
      return {
        userID: presented.userId,
        name: presented.userName,
        accessKey: key.accessKey,
        expires: key.expires,
      }
    }
    if (body.passwordCredentials !== undefined) {
      const { name, password } = body.passwordCredentials
      await ctx.loginThrottle.assertNotLocked(name)
      const user = await ctx.db.user.findUnique({ where: { name } })
      if (!(await passwordMatches(password, user?.passwordHash)) || !user) {
        await ctx.loginThrottle.recordFailure(name)
        throw unauthorized('the user name or password is incorrect')
      }
      await ctx.loginThrottle.recordSuccess(name)
      const oneTime = user.passwordIsOneTime
      const key = await issueAccessKey(ctx.db, {
        userId: user.id,
        ...(oneTime
          ? { ttlMs: PASSWORD_RESET_TTL_MS, extensionMs: PASSWORD_RESET_TTL_MS, scope: 'password-reset' }
          : session),
      })
      return {
        userID: user.id,
        name: user.name,
        accessKey: key.accessKey,
        expires: key.expires,
        ...(oneTime ? { passwordUpdateRequired: true } : {}),
      }
    }
    const oidc = body.oidc
    if (oidc === undefined) throw badRequest('a login method is required')
    const provider = await ctx.db.provider.findUnique({ where: { id: oidc.providerID } })
    if (!provider)
      throw badRequest('no such identity provider', [{ 'oidc.providerID': ['no such provider'] }])
    let user: { id: string; name: string }
    let identity: ProviderIdentity
    try {
      identity = await ctx.oidc.exchange(provider, oidc)
      user = await syncProviderUser(ctx.db, provider, identity)
    } catch (error) {
      if (error instanceof ProviderLoginError) throw unauthorized(error.message)
      throw error
    }
    if (provider.authURL === '') {
      // Known now that the provider's discovery document has been read; shown to clients by the providers list.
      const authURL = await ctx.oidc.authorizationEndpoint(provider)
      await ctx.db.provider.updateMany({ where: { id: provider.id, authURL: '' }, data: { authURL } })
    }
    const key = await issueAccessKey(ctx.db, { userId: user.id, ...session, providerId: provider.id })
    if (identity.sealedRefreshToken) {
      await ctx.db.providerSession.create({
        data: {
          accessKeyId: key.id,
          providerId: provider.id,
          userId: user.id,
          refreshToken: identity.sealedRefreshToken,
        },
      })
    }
    return { userID: user.id, name: user.name, accessKey: key.accessKey, expires: key.expires }
  },

  logout: async ({ ctx, caller }) => {
    await ctx.db.accessKey.deleteMany({ where: { id: caller.accessKeyId } })
  },

  createToken: async ({ ctx, caller }) => {
    const groups = await ctx.db.group.findMany({
      where: { members: { some: { userId: caller.userId } } },
      select: { name: true },
      orderBy: { name: 'asc' },
    })
    const { token, expires } = await ctx.tokens.sign({
      userName: caller.userName,
      groups: groups.map((group) => group.name),
    })
    return { token, expires: expires.toISOString() }
  },

  getJwks: async ({ ctx }) => ctx.tokens.jwks() as JsonWebKeySet,
}
