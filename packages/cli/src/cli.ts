import yargs, { type Argv } from 'yargs'
import { versionCommand, type Output } from './commands/version.js'
import { CLI_VERSION } from './version.js'

/** The `infra` command line, built for a given output so that tests can run it in-process. */
export function buildCli(args: string[], out: Output = process.stdout): Argv {
  return yargs(args)
    .scriptName('infra')
    .command(versionCommand(out))
    .demandCommand(1, 'Name a command; see infra --help')
    .version(CLI_VERSION)
    .strict()
    .help()
}
