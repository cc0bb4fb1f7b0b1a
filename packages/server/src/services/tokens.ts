import type { CreateTokenResponse } from '@infra/api-types'
import type { Caller } from '../auth/caller.js'
import type { TokenSigner } from '../auth/tokens.js'
import type { Database } from '../db/prisma.js'
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
): Promise<CreateTokenResponse> {
  const { token, expires } = await signer.sign({
    userName: caller.userName,
    groups: await groupNamesOf(db, caller.userId),
    destination,
  })
  return { token, expires: expires.toISOString() }
}
