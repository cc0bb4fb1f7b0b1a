import { CliError, type Context } from '../../lib/context.js'
import { withSession } from '../../lib/session.js'
import type { ArgsOf } from '../define.js'
import type { command } from './verify.js'

const PROBLEMS = {
  edited: 'was edited',
  deleted: 'follows a deleted event',
  reordered: 'was moved from its place',
} as const

export default async function verifyAudit(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  await withSession(ctx, args, async ({ client }) => {
    const result = await client.audit.verify()
    if (!result.ok) {
      const where = result.firstBad
        ? `event ${result.firstBad.id} ${PROBLEMS[result.firstBad.problem]}`
        : 'events after the last one kept were deleted'
      throw new CliError(
        `the audit log does not verify: ${where} (${result.checked} events checked before it)`,
        'see infra audit show ID',
      )
    }
    const head = await client.audit.head()
    ctx.io.stdout.write(
      `The audit log verifies: ${result.checked} events checked.\n` +
        (head.id === null ? '' : `Head: ${head.id} ${head.hash}\n`),
    )
  })
}
