import { API_VERSION } from '@infra/api-types'
import { findServer, readConfig } from '../../lib/config.js'
import type { Context } from '../../lib/context.js'
import { printData } from '../../lib/output.js'
import { createClient, resolveServerUrl } from '../../lib/session.js'
import { CLI_VERSION } from '../../lib/version.js'
import type { ArgsOf } from '../define.js'
import type { command } from './version.js'

export default async function version(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  let server: string | undefined
  const config = readConfig(ctx.home)
  const url =
    args.server || ctx.env.INFRA_SERVER || config.current
      ? await resolveServerUrl(ctx, args, config)
      : undefined
  if (url) {
    const client = await createClient({ url, log: ctx.log, entry: findServer(config, url) })
    try {
      server = (await client.version({ retry: 0, timeout: 5_000 })).version
    } catch (error) {
      ctx.log.debug(`could not ask ${url} for its version: ${(error as Error).message}`)
    } finally {
      await client.close()
    }
  }
  if (args.format === 'json' || args.format === 'yaml') {
    return printData(ctx, args.format, {
      client: CLI_VERSION,
      ...(server ? { server } : {}),
      api: API_VERSION,
    })
  }
  ctx.io.stdout.write(
    `Client: ${CLI_VERSION}\n${url ? `Server: ${server ?? 'not reachable'}\n` : ''}API:    ${API_VERSION}\n`,
  )
}
