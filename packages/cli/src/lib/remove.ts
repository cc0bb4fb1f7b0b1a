import type { InfraClient } from '@infra/client-sdk'
import { CliError, type Context } from './context.js'
import { apiStatus } from './sdk-errors.js'
import { withSession, type SessionArgs } from './session.js'

export interface Removal<T extends { name: string }> {
  find(client: InfraClient): Promise<T | undefined>
  delete(client: InfraClient, found: T): Promise<void>
  /** The command group that lists them, for the hint; default: the noun's plural. */
  group?: string
  /** How the result names the removed one; default: `destination "docker-desktop"`. */
  label?: (found: T) => string
}

/**
 * `infra <group> remove NAME`: finds the `noun` (`destination`, `access key`) named `name` and deletes it.
 * With --force, one that does not exist (or was deleted meanwhile) is no error.
 */
export async function removeByName<T extends { name: string }>(
  ctx: Context,
  args: SessionArgs & { force: boolean | undefined },
  noun: string,
  name: string,
  removal: Removal<T>,
): Promise<void> {
  await withSession(ctx, args, async ({ client }) => {
    const found = await removal.find(client)
    if (!found) {
      if (args.force) return
      throw new CliError(
        `unknown ${noun} "${name}"`,
        `see infra ${removal.group ?? `${noun}s`} list (--force succeeds anyway)`,
      )
    }
    try {
      await removal.delete(client, found)
    } catch (error) {
      if (!(apiStatus(error) === 404 && args.force)) throw error
    }
    ctx.io.stdout.write(`Removed ${removal.label?.(found) ?? `${noun} "${found.name}"`}\n`)
  })
}
