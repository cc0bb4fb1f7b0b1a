import { CliError, type Context } from '../../lib/context.js'
import { apiStatus } from '../../lib/sdk-errors.js'
import { withSession } from '../../lib/session.js'
import type { ArgsOf } from '../define.js'
import type { command } from './add.js'

export default async function addProvider(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  const missing = (['url', 'client-id', 'client-secret'] as const).filter(
    (flag) => !{ url: args.url, 'client-id': args.clientId, 'client-secret': args.clientSecret }[flag],
  )
  if (missing.length > 0) {
    throw new CliError(
      `missing ${missing.map((flag) => `--${flag}`).join(', ')}`,
      'see infra providers add --help',
    )
  }
  await withSession(ctx, args, async ({ client }) => {
    try {
      await client.providers.create({
        name: args.PROVIDER,
        url: args.url ?? '',
        clientID: args.clientId ?? '',
        clientSecret: args.clientSecret ?? '',
        kind: args.kind,
      })
    } catch (error) {
      if (apiStatus(error) === 409) {
        throw new CliError(`a provider named "${args.PROVIDER}" already exists`, 'see infra providers list')
      }
      throw error
    }
    ctx.io.stdout.write(`Connected provider "${args.PROVIDER}" (${args.kind}) at ${args.url}\n`)
  })
}
