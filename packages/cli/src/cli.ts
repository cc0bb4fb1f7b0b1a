import yargs, { type Argv } from 'yargs'
import { COMMAND_PATHS, COMMANDS, nameOf } from './commands/index.js'
import { GLOBAL_OPTIONS, type Command, type CommandGroup, type Example } from './commands/define.js'
import { createContext, processIo, type Io } from './lib/context.js'
import { reportError } from './lib/errors.js'

export type { Io } from './lib/context.js'

interface RunState {
  /** Whether a command's handler started: errors before that are usage errors. */
  started: boolean
}

/** Examples as the reference writes them: a `# comment` line, then the command. */
function examples(list: Example[]): string {
  const lines = list.map(
    ([command, description]) =>
      `${description ? `  # ${description}\n` : ''}  $ ${command.replace('$0', 'infra')}`,
  )
  return `Examples:\n${lines.join('\n\n')}`
}

/** "list, add or remove" */
const choiceOf = (names: string[]) =>
  names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : (names[0] ?? '')

function registerCommand(y: Argv, command: Command, path: string, io: Io, state: RunState): Argv {
  return y.command({
    command: command.command,
    describe: command.describe,
    builder: (c: Argv) => {
      if (command.about) c = c.usage(`${command.about}\n\nUsage: infra ${path}${command.command} [flags]`)
      for (const [name, positional] of Object.entries(command.positionals ?? {})) {
        c = c.positional(name, positional)
      }
      if (command.options) c = c.options(command.options)
      return command.examples ? c.epilogue(examples(command.examples)) : c
    },
    handler: async (argv) => {
      state.started = true
      await command.run(io, argv)
    },
  })
}

function register(y: Argv, entry: Command | CommandGroup, io: Io, state: RunState): Argv {
  if (!('subcommands' in entry)) return registerCommand(y, entry, '', io, state)
  return y.command(entry.name, entry.describe, (group) =>
    entry.subcommands
      .reduce((g, command) => registerCommand(g, command, `${entry.name} `, io, state), group)
      .demandCommand(1, `Name a subcommand: ${choiceOf(entry.subcommands.map(nameOf))}`),
  )
}

/** The `infra` command line for the given surroundings; `runCli` parses and runs it. */
export function buildCli(args: string[], io: Io = processIo(), state: RunState = { started: false }): Argv {
  return (
    COMMANDS.reduce<Argv>(
      (y, entry) => register(y, entry, io, state),
      yargs(args)
        .scriptName('infra')
        .usage('Infra: access management for Kubernetes\n\nUsage: infra <command> [flags]')
        .parserConfiguration({ 'boolean-negation': false })
        .options(GLOBAL_OPTIONS),
    )
      // Answers the scripts' `infra --get-yargs-completions <words>`; the command itself is `infra completion`.
      .completion('get-yargs-completion-script', false)
      .help('help', 'Display help')
      .alias('help', 'h')
      .version(false)
      .wrap(null)
      .strict()
      .recommendCommands()
      .exitProcess(false)
      .fail(false)
  )
}

/** The command (and subcommand) a command line names, for "see infra users add --help". */
function commandPath(args: string[]): string {
  const [first, second] = args.filter((arg) => !arg.startsWith('-'))
  const both = `${first} ${second}`
  if (COMMAND_PATHS.includes(both)) return both
  return first !== undefined && COMMAND_PATHS.includes(first) ? first : ''
}

/** Parses and runs a command line; resolves to the exit code. Errors go to stderr with a one-line hint. */
export async function runCli(args: string[], io: Io = processIo()): Promise<number> {
  if (args.length === 0) args = ['--help']
  const state: RunState = { started: false }
  const cli = buildCli(args, io, state)
  let helpOutput = ''
  try {
    await cli.parseAsync(args, {}, (error, _argv, output) => {
      if (!error && output) helpOutput = output
    })
    if (helpOutput) io.stdout.write(helpOutput.endsWith('\n') ? helpOutput : `${helpOutput}\n`)
    return 0
  } catch (error) {
    const style = createContext(io, { logLevel: 'error' }).style
    if (!state.started) {
      const command = commandPath(args)
      io.stderr.write(`${style.red('error:')} ${(error as Error).message}\n`)
      io.stderr.write(`${style.dim('hint:')} see infra ${command ? `${command} ` : ''}--help\n`)
      return 2
    }
    return reportError({ io, style }, error)
  }
}
