import type { CreateTokenResponse } from '@infra/api-types'
import type { Caller } from '../auth/caller.js'
import type { TokenSigner } from '../auth/tokens.js'
import type { Database } from '../db/prisma.js'
import type { AuditContext } from '../http/audit-context.js'
import { recordAuditEvent } from './audit.js'
import { groupNamesOf } from './groups.js'

/**
 * A short-lived token for kubectl at one destination, naming the caller and their groups, which that
 * destination's connector binds to. Every caller, a person or a machine, gets its tokens here.
 */
export async function createToken(
  db: Database,
  signer: TokenSigner,
  caller: Pick<Caller, 'userId' | 'userName'>,
  destination: string | undefined,
  by: AuditContext,
): Promise<CreateTokenResponse> {
  const { token, expires } = await signer.sign({
    userName: caller.userName,
    groups: await groupNamesOf(db, caller.userId),
    destination,
  })
  const expiresAt = expires.toISOString()
  await recordAuditEvent(db, {
    type: 'token.issued',
    outcome: 'success',
    ...by,
    ...(destination !== undefined ? { destination } : {}),
    details: { expiresAt },
  })
  return { token, expires: expiresAt }
}
