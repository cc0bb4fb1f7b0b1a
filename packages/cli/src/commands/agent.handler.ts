import { keepCurrent, onAgentReplaced } from '@infra/agent'
import type { Destination, Grant } from '@infra/client-sdk'
import { accessFrom, writeAccess } from '../lib/access.js'
import type { Context } from '../lib/context.js'
import { kubeconfigPath } from '../lib/kubeconfig.js'
import { apiStatus } from '../lib/sdk-errors.js'
import { displayServer, openSession } from '../lib/session.js'
import type { ArgsOf } from './define.js'
import type { command } from './agent.js'

/**
 * `infra agent` (hidden; `infra login` starts it in the background): keeps the kubeconfig equal to what the
 * user may reach, following their grants (with inherited ones) and the destinations by long polling, until
 * logout, a new login, or the access key stops working.
 */
export default async function agent(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  const session = await openSession(ctx, args)
  const controller = new AbortController()
  const stop = () => controller.abort()
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  const stopChecking = onAgentReplaced(ctx.home, stop)
  // Said when the server is lost, not at every retry of a long outage; the kubeconfig stays as it is meanwhile.
  const onRetry = (error: Error, info: { attempt: number }) => {
    if (info.attempt === 1)
      ctx.log.warn(`lost the server (${error.message}); keeping the kubeconfig, retrying`)
  }
  ctx.log.info(
    `agent ${process.pid}: keeping ${kubeconfigPath(ctx.env)} current for ${displayServer(session.url)}`,
  )
  try {
    await keepCurrent<{ grants: Grant[]; destinations: Destination[] }>({
      sources: (signal) => ({
        grants: session.client.grants.watch({ user: 'self', showInherited: true }, { signal, onRetry }),
        destinations: session.client.destinations.watch({}, { signal, onRetry }),
      }),
      sync: async ({ grants, destinations }) => {
        try {
          const change = await writeAccess(ctx, session.url, accessFrom(grants, destinations))
          ctx.log.info(
            `${new Date().toISOString()} kubeconfig: ${change.contexts.join(', ') || 'no contexts'}` +
              (change.removed.length > 0 ? ` (removed ${change.removed.join(', ')})` : ''),
          )
        } catch (error) {
          // A kubeconfig the user broke by hand is theirs to fix; the next change tries again.
          ctx.log.warn(`could not update the kubeconfig: ${(error as Error).message}`)
        }
      },
      signal: controller.signal,
    })
    ctx.log.info(`agent ${process.pid}: stopped`)
  } catch (error) {
    if (apiStatus(error) !== 401) throw error
    ctx.log.info(`agent ${process.pid}: the access key is no longer valid (logged out or expired); stopping`)
  } finally {
    stopChecking()
    await session.client.close()
  }
}
