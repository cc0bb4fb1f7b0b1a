import type { LoginRequest, LoginResponse } from '@infra/api-types'
import { authenticateKey } from '../auth/authenticate.js'
import { ProviderLoginError, type ProviderIdentity } from '../auth/oidc.js'
import { passwordMatches } from '../auth/passwords.js'
import type { ServerContext } from '../context.js'
import type { Database } from '../db/prisma.js'
import { fieldError, InvalidError, UnauthenticatedError } from '../domain/errors.js'
import { issueAccessKey } from './access-keys.js'
import { syncProviderUser } from './provider-users.js'
import { toLoginResponse } from './serialize.js'

// A key that only lets its holder replace a one-time password: short-lived on purpose.
const PASSWORD_RESET_TTL_MS = 15 * 60_000

type PasswordCredentials = NonNullable<LoginRequest['passwordCredentials']>
type ProviderCredentials = NonNullable<LoginRequest['oidc']>

const session = (ctx: ServerContext) => ({
  ttlMs: ctx.settings.sessionTtlMs,
  extensionMs: ctx.settings.sessionExtensionMs,
})

/** A session key in exchange for a valid access key: same user and scope, and never outliving it. */
export async function logInWithAccessKey(ctx: ServerContext, accessKey: string): Promise<LoginResponse> {
  const presented = await authenticateKey(ctx, accessKey)
  const key = await issueAccessKey(ctx.db, {
    userId: presented.userId,
    ...session(ctx),
    scope: presented.keyScope,
    notAfter: presented.keyExpires,
  })
  return toLoginResponse({ id: presented.userId, name: presented.userName }, key)
}

/** A one-time password buys only a short key that can set a new password. */
export async function logInWithPassword(
  ctx: ServerContext,
  { name, password }: PasswordCredentials,
): Promise<LoginResponse> {
  await ctx.loginThrottle.assertNotLocked(name)
  const user = await ctx.db.user.findUnique({ where: { name } })
  if (!(await passwordMatches(password, user?.passwordHash)) || !user) {
    await ctx.loginThrottle.recordFailure(name)
    throw new UnauthenticatedError('the user name or password is incorrect')
  }
  await ctx.loginThrottle.recordSuccess(name)
  const oneTime = user.passwordIsOneTime
  const key = await issueAccessKey(ctx.db, {
    userId: user.id,
    ...(oneTime
      ? { ttlMs: PASSWORD_RESET_TTL_MS, extensionMs: PASSWORD_RESET_TTL_MS, scope: 'password-reset' }
      : session(ctx)),
  })
  return toLoginResponse(user, key, oneTime || undefined)
}

/** Completes an OpenID Connect login: the user and their groups follow what the provider says. */
export async function logInWithProvider(
  ctx: ServerContext,
  oidc: ProviderCredentials,
): Promise<LoginResponse> {
  const provider = await ctx.db.provider.findUnique({ where: { id: oidc.providerID } })
  if (!provider)
    throw new InvalidError('no such identity provider', [fieldError('oidc.providerID', 'no such provider')])
  let user: { id: string; name: string }
  let identity: ProviderIdentity
  try {
    identity = await ctx.oidc.exchange(provider, oidc)
    user = await syncProviderUser({ db: ctx.db, logger: ctx.logger, provider }, identity)
  } catch (error) {
    if (error instanceof ProviderLoginError) throw new UnauthenticatedError(error.message)
    throw error
  }
  if (provider.authURL === '') {
    // Known now that the provider's discovery document has been read; shown to clients by the providers list.
    const authURL = await ctx.oidc.authorizationEndpoint(provider)
    await ctx.db.provider.updateMany({ where: { id: provider.id, authURL: '' }, data: { authURL } })
  }
  const key = await issueAccessKey(ctx.db, { userId: user.id, ...session(ctx), providerId: provider.id })
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
  return toLoginResponse(user, key)
}

export async function logOut(db: Database, accessKeyId: string): Promise<void> {
  await db.accessKey.deleteMany({ where: { id: accessKeyId } })
}
