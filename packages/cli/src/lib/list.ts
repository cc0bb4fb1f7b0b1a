import type { InfraClient } from '@infra/client-sdk'
import type { Context } from './context.js'
import { printList, type Format } from './output.js'
import { withSession, type SessionArgs } from './session.js'

export interface Listing<T> {
  headers: string[]
  row: (item: T) => string[]
  /** Said on stderr when there is nothing to list. */
  empty: string
}

/** `infra <group> list`: what the server lists, as a table for people or JSON/YAML for scripts. */
export async function listFromServer<T>(
  ctx: Context,
  args: SessionArgs & { format: Format | undefined },
  fetch: (client: InfraClient) => PromiseLike<T[]>,
  listing: Listing<T>,
): Promise<void> {
  await withSession(ctx, args, async ({ client }) => {
    await printList(ctx, args.format, await fetch(client), listing.headers, listing.row, listing.empty)
  })
}
