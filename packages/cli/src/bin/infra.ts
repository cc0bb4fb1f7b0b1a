#!/usr/bin/env node
// The entry point stays tiny: kubectl runs `infra tokens add` before every request, so a cached token is
// answered before yargs, the SDK or anything else is loaded.
import { homedir } from 'node:os'
import { join } from 'node:path'
import { tryCachedExecCredential } from '../lib/token-cache.js'

const args = process.argv.slice(2)
const home = join(process.env.HOME || homedir(), '.infra')
if (!tryCachedExecCredential(args, process.env, home, (text) => process.stdout.write(text))) {
  const { runCli } = await import('../cli.js')
  process.exitCode = await runCli(args)
}
