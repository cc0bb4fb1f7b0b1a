import type { CreateTokenResponse } from '@infra/api-types'
import type { Caller } from '../auth/caller.js'
import type { TokenSigner } from '../auth/tokens.js'
import type { Database } from '../db/prisma.js'
import { groupNamesOf } from './groups.js'

/** A short-lived token for kubectl that names the caller and their groups, which connectors bind to. */
export async function createToken(
  db: Database,
  signer: TokenSigner,
  caller: Pick<Caller, 'userId' | 'userName'>,
): Promise<CreateTokenResponse> {
  const { token, expires } = await signer.sign({
    userName: caller.userName,
    groups: await groupNamesOf(db, caller.userId),
  })
  return { token, expires: expires.toISOString() }
}
