#!/usr/bin/env node
// The entry point stays tiny: kubectl runs `infra tokens add` before every request, so a cached token is
// answered before yargs, the SDK or anything else is loaded; help comes from text generated at build time.
import { homedir } from 'node:os'
import { join } from 'node:path'
import { cachedHelp } from '../lib/help-cache.js'
import { tryCachedExecCredential } from '../lib/token-cache.js'
import { CLI_VERSION } from '../lib/version.js'

// `infra users list | head -1`: a reader that goes away early is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw error
})

const args = process.argv.slice(2)
const home = join(process.env.HOME || homedir(), '.infra')
const help = cachedHelp(args, new URL('./help.json', import.meta.url))
// `infra --version`, as most programs answer it: the bare version (`infra version` says more).
if (args.length === 1 && args[0] === '--version') {
  process.stdout.write(`${CLI_VERSION}\n`)
} else if (help !== undefined) {
  process.stdout.write(help)
} else if (!tryCachedExecCredential(args, process.env, home, (text) => process.stdout.write(text))) {
  const { runCli } = await import('../cli.js')
  process.exitCode = await runCli(args)
}
