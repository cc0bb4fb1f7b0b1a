// Run once at build time: the help text of every command, as yargs prints it, for the entry point to print
// without loading yargs (see src/bin/infra.ts). A test checks it still matches yargs' own output.
import { PassThrough } from 'node:stream'
import { runCli } from './cli.js'
import { COMMAND_PATHS } from './commands/index.js'

export const HELP_PATHS = COMMAND_PATHS

export async function generateHelp(): Promise<Record<string, string>> {
  const help: Record<string, string> = {}
  for (const path of HELP_PATHS) {
    let out = ''
    const stdin = new PassThrough()
    stdin.end()
    const code = await runCli([...path.split(' ').filter(Boolean), '--help'], {
      stdout: { write: (text: string) => (out += text) },
      stderr: { write: () => true },
      stdin,
      env: {},
    })
    if (code !== 0 || out === '') throw new Error(`no help for "${path}"`)
    help[path] = out
  }
  return help
}
