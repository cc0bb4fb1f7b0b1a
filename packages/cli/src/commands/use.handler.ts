import { parseResource } from '@infra/api-types'
import { contextName } from '@infra/agent'
import { accessEntries, listAccess } from '../lib/access.js'
import { CliError, type Context } from '../lib/context.js'
import { syncKubeconfig } from '../lib/kubeconfig.js'
import { withSession } from '../lib/session.js'
import type { ArgsOf } from './define.js'
import type { command } from './use.js'

export default async function use(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  const parsed = parseResource(args.DESTINATION)
  if (!parsed.ok)
    throw new CliError(
      `invalid destination "${args.DESTINATION}": ${parsed.error}`,
      'use DESTINATION or DESTINATION.NAMESPACE',
    )
  await withSession(ctx, args, async ({ url, client }) => {
    const access = await listAccess(client)
    const wanted = contextName(parsed.value.destination, parsed.value.namespace)
    const match = access.find((item) => item.resource === args.DESTINATION)
    const entries = accessEntries(access)
    const usable = entries.some((entry) => contextName(entry.destination, entry.namespace) === wanted)
    await syncKubeconfig(ctx, url, entries, usable ? { useContext: wanted } : {})
    if (!match) {
      throw new CliError(
        `you have no access to ${args.DESTINATION}`,
        'see infra list for the destinations you can use',
      )
    }
    if (!usable) {
      throw new CliError(
        `${args.DESTINATION} has not been connected to Infra yet`,
        'ask an admin to connect it (infra keys add connector)',
      )
    }
    ctx.log.info(`Switched to ${ctx.style.bold(wanted)}`)
  })
}
