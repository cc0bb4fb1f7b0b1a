import { startAgent, stopAgent } from '@infra/agent'
import type { Context } from './context.js'

/** Starts the background agent for `server` after a login, when this environment can run one. */
export function startBackgroundAgent(ctx: Context, server: string): void {
  const script = ctx.io.script
  if (!script) {
    ctx.log.debug('no background agent here: run infra list to refresh kubeconfig after grants change')
    return
  }
  const pid = startAgent(
    ctx.home,
    process.execPath,
    [...process.execArgv, script, 'agent', '--server', server],
    ctx.env,
  )
  ctx.log.debug(`started the background agent (pid ${pid}); it logs to ~/.infra/logs/agent.log`)
}

/** Stops the background agent, e.g. on logout. */
export function stopBackgroundAgent(ctx: Context): void {
  if (stopAgent(ctx.home)) ctx.log.debug('stopped the background agent')
}
