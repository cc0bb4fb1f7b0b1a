import type { InfraClient } from '@infra/client-sdk'
import { CliError, type Context } from './context.js'
import { apiStatus } from './sdk-errors.js'
import { withSession, type SessionArgs } from './session.js'

export interface Removal<T> {
  /** What is removed, as the messages name it: `destination`, `access key`. */
  noun: string
  /** The command group that lists them, for the hint: `destinations`. */
  group: string
  /** The name given on the command line. */
  name: string
  find(client: InfraClient): Promise<T | undefined>
  delete(client: InfraClient, found: T): Promise<void>
  /** How the removed one is named in the result: `destination "docker-desktop"`. */
  label(found: T): string
}

/**
 * `infra <group> remove NAME`: finds it by name and deletes it. With --force, one that does not exist (or was
 * deleted meanwhile) is no error.
 */
export async function removeByName<T>(
  ctx: Context,
  args: SessionArgs & { force: boolean | undefined },
  removal: Removal<T>,
): Promise<void> {
  await withSession(ctx, args, async ({ client }) => {
    const found = await removal.find(client)
    if (!found) {
      if (args.force) return
      throw new CliError(
        `unknown ${removal.noun} "${removal.name}"`,
        `see infra ${removal.group} list (--force succeeds anyway)`,
      )
    }
    try {
      await removal.delete(client, found)
    } catch (error) {
      if (!(apiStatus(error) === 404 && args.force)) throw error
    }
    ctx.io.stdout.write(`Removed ${removal.label(found)}\n`)
  })
}
