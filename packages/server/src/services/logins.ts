import type { LoginRequest, LoginResponse } from '@infra/api-types'
import { authenticateKey } from '../auth/authenticate.js'
import type { Caller } from '../auth/caller.js'
import { ProviderLoginError, type ProviderIdentity } from '../auth/oidc.js'
import { passwordMatches } from '../auth/passwords.js'
import type { ServerContext } from '../context.js'
import type { Database, DatabaseClient } from '../db/prisma.js'
import { fieldError, InvalidError, isDomainError, UnauthenticatedError } from '../domain/errors.js'
import { userActor, type AuditContext, type RequestOrigin } from '../http/audit-context.js'
import { issueAccessKey } from './access-keys.js'
import type { AuditActor } from '@infra/api-types'
import { recordAuditEvent } from './audit.js'
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

/** How a login was attempted, as its audit event says. */
interface LoginAttempt {
  method: 'password' | 'key' | 'provider'
  provider?: string
  origin: RequestOrigin
}

const loginEvent = (attempt: LoginAttempt, actor: AuditActor) => ({
  type: 'login' as const,
  actor,
  ...attempt.origin,
  details: { method: attempt.method, ...(attempt.provider ? { provider: attempt.provider } : {}) },
})

const recordLogin = (db: DatabaseClient, attempt: LoginAttempt, user: { id: string; name: string }) =>
  recordAuditEvent(db, { ...loginEvent(attempt, userActor(user)), outcome: 'success' })

/** Records why a login failed, in `db`'s transaction when given one; answers the error to throw. */
async function loginFailed(
  db: DatabaseClient,
  attempt: LoginAttempt,
  actor: AuditActor,
  error: Error,
): Promise<Error> {
  await recordAuditEvent(db, { ...loginEvent(attempt, actor), outcome: 'failure', reason: error.message })
  return error
}

/** Runs a login, recording its failure (as the anonymous `actor`) when it is refused. */
async function refusedAs<T>(
  ctx: ServerContext,
  attempt: LoginAttempt,
  actor: AuditActor,
  login: () => Promise<T>,
): Promise<T> {
  try {
    return await login()
  } catch (error) {
    // Anything else (an outage, a bug) is not the login being refused.
    if (isDomainError(error)) throw await loginFailed(ctx.db, attempt, actor, error)
    throw error
  }
}

/** A session key in exchange for a valid access key: same user and scope, and never outliving it. */
export async function logInWithAccessKey(
  ctx: ServerContext,
  accessKey: string,
  origin: RequestOrigin,
): Promise<LoginResponse> {
  const attempt: LoginAttempt = { method: 'key', origin }
  const presented = await refusedAs(ctx, attempt, { kind: 'anonymous' }, () =>
    authenticateKey(ctx, accessKey),
  )
  const user = { id: presented.userId, name: presented.userName }
  const key = await ctx.db.$transaction(async (tx) => {
    const issued = await issueAccessKey(tx, {
      userId: presented.userId,
      ...session(ctx),
      scope: presented.keyScope,
      notAfter: presented.keyExpires,
    })
    await recordLogin(tx, attempt, user)
    return issued
  })
  return toLoginResponse(user, key)
}

/** A one-time password buys only a short key that can set a new password. */
export async function logInWithPassword(
  ctx: ServerContext,
  { name, password }: PasswordCredentials,
  origin: RequestOrigin,
): Promise<LoginResponse> {
  const attempt: LoginAttempt = { method: 'password', origin }
  const tried: AuditActor = { kind: 'anonymous', name }
  await refusedAs(ctx, attempt, tried, () => ctx.loginThrottle.assertNotLocked(name))
  const user = await ctx.db.user.findUnique({ where: { name } })
  if (!(await passwordMatches(password, user?.passwordHash)) || !user) {
    const actor = user ? userActor(user) : tried
    throw await ctx.db.$transaction(async (tx) => {
      const lockedUntil = await ctx.loginThrottle.recordFailure(name, tx)
      if (lockedUntil) {
        await recordAuditEvent(tx, {
          type: 'login.locked-out',
          outcome: 'success',
          actor,
          ...origin,
          target: { kind: 'user', ...(user ? { id: user.id } : {}), name },
          details: { until: lockedUntil.toISOString() },
        })
      }
      return loginFailed(
        tx,
        attempt,
        actor,
        new UnauthenticatedError('the user name or password is incorrect'),
      )
    })
  }
  await ctx.loginThrottle.recordSuccess(name)
  const oneTime = user.passwordIsOneTime
  const key = await ctx.db.$transaction(async (tx) => {
    const issued = await issueAccessKey(tx, {
      userId: user.id,
      ...(oneTime
        ? { ttlMs: PASSWORD_RESET_TTL_MS, extensionMs: PASSWORD_RESET_TTL_MS, scope: 'password-reset' }
        : session(ctx)),
    })
    await recordLogin(tx, attempt, user)
    return issued
  })
  return toLoginResponse(user, key, oneTime || undefined)
}

/** Completes an OpenID Connect login: the user and their groups follow what the provider says. */
export async function logInWithProvider(
  ctx: ServerContext,
  oidc: ProviderCredentials,
  origin: RequestOrigin,
): Promise<LoginResponse> {
  const provider = await ctx.db.provider.findUnique({ where: { id: oidc.providerID } })
  if (!provider) {
    const unknown = new InvalidError('no such identity provider', [
      fieldError('oidc.providerID', 'no such provider'),
    ])
    throw await loginFailed(ctx.db, { method: 'provider', origin }, { kind: 'anonymous' }, unknown)
  }
  const attempt: LoginAttempt = { method: 'provider', provider: provider.name, origin }
  let user: { id: string; name: string }
  let identity: ProviderIdentity
  try {
    identity = await ctx.oidc.exchange(provider, oidc)
    user = await syncProviderUser({ db: ctx.db, logger: ctx.logger, provider, origin }, identity)
  } catch (error) {
    if (!(error instanceof ProviderLoginError)) throw error
    throw await loginFailed(ctx.db, attempt, { kind: 'anonymous' }, new UnauthenticatedError(error.message))
  }
  if (provider.authURL === '') {
    // Known now that the provider's discovery document has been read; shown to clients by the providers list.
    const authURL = await ctx.oidc.authorizationEndpoint(provider)
    await ctx.db.provider.updateMany({ where: { id: provider.id, authURL: '' }, data: { authURL } })
  }
  const { sealedRefreshToken } = identity
  const key = await ctx.db.$transaction(async (tx) => {
    const issued = await issueAccessKey(tx, { userId: user.id, ...session(ctx), providerId: provider.id })
    if (sealedRefreshToken) {
      await tx.providerSession.create({
        data: {
          accessKeyId: issued.id,
          providerId: provider.id,
          userId: user.id,
          refreshToken: sealedRefreshToken,
        },
      })
    }
    await recordLogin(tx, attempt, user)
    return issued
  })
  return toLoginResponse(user, key)
}

export async function logOut(db: Database, caller: Caller, by: AuditContext): Promise<void> {
  await db.$transaction(async (tx) => {
    const { count } = await tx.accessKey.deleteMany({ where: { id: caller.accessKeyId } })
    if (count === 0) return
    await recordAuditEvent(tx, {
      type: 'logout',
      outcome: 'success',
      ...by,
      target: { kind: 'access-key', id: caller.accessKeyId },
      details: {},
    })
  })
}
