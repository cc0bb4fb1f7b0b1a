// The one way a command is declared. A command's module holds only its declaration, so listing every command
// (for yargs, the prebuilt help and completion) loads no handler code; the handler is imported on first use.
import type { InferredOptionType, InferredOptionTypes, Options, PositionalOptions } from 'yargs'
import { createContext, LOG_LEVELS, type Context, type GlobalArgs, type Io } from '../lib/context.js'
import { FORMATS } from '../lib/output.js'

type OptionSet = Record<string, Options>
type PositionalSet = Record<string, PositionalOptions>
type None = Record<never, never>

/** The options every command takes. */
export const GLOBAL_OPTIONS = {
  'log-level': {
    type: 'string',
    describe: 'Show logs when running the command [error, warn, info, debug]',
    choices: LOG_LEVELS,
    default: 'info',
    global: true,
  },
  server: {
    type: 'string',
    describe: 'Infra server to use for this command (default: the current one) [env: INFRA_SERVER]',
    global: true,
  },
  'access-key': {
    type: 'string',
    describe: 'Use this access key instead of logging in [env: INFRA_ACCESS_KEY]',
    global: true,
  },
} as const satisfies OptionSet

/**
 * What a handler gets: the global options, then its command's positionals and options, as yargs parsed them,
 * each under its flag's name and in camelCase. Unlike yargs' own `ArgumentsCamelCase`, no index signature
 * lets a handler read a flag that is not declared.
 */
export type Args<P extends PositionalSet = None, O extends OptionSet = None> = CamelCased<
  InferredOptionTypes<typeof GLOBAL_OPTIONS> & {
    [K in keyof P]: InferredOptionType<P[K]>
  } & InferredOptionTypes<O>
>
type CamelCased<T> = { [K in keyof T & string as K | CamelCase<K>]: T[K] }
type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S

/** The arguments of a declared command, for its handler module: `(ctx: Context, args: ArgsOf<typeof command>)`. */
export type ArgsOf<C> = C extends CommandSpec<infer P, infer O> ? Args<P, O> : never

/** `[command, description]`, with `$0` for `infra`; an empty description prints the command alone. */
export type Example = [command: string, description: string]

export interface CommandDetails<P extends PositionalSet, O extends OptionSet> {
  /** The first lines of the command's own help, where it says more than `describe`. */
  about?: string
  positionals?: P
  options?: O
  examples?: Example[]
}

export interface CommandSpec<P extends PositionalSet, O extends OptionSet> extends CommandDetails<P, O> {
  /** As yargs takes it: the name, then the positionals (`remove DESTINATION`, `login [SERVER]`). */
  command: string
  /** The line in the list of commands; false hides the command from the help. */
  describe: string | false
}

/** A command ready to register: its declaration, and how to run it once yargs parsed its arguments. */
export interface Command extends CommandSpec<PositionalSet, OptionSet> {
  /** Runs the handler with what yargs parsed. */
  run(io: Io, argv: unknown): Promise<void>
}

export interface CommandGroup {
  name: string
  describe: string
  subcommands: Command[]
}

/**
 * Declares a command; `.handledBy(() => import('./x.handler.js'))` adds its handler, whose module types its
 * arguments as `ArgsOf<typeof command>`. Two steps, so the handler's type can refer to the declaration.
 */
export function defineCommand<const P extends PositionalSet = None, const O extends OptionSet = None>(
  command: string,
  describe: string | false,
  details: CommandDetails<P, O> = {},
) {
  const spec: CommandSpec<P, O> = { command, describe, ...details }
  return {
    ...spec,
    handledBy(load: () => Promise<{ default: (ctx: Context, args: Args<P, O>) => Promise<void> }>): Command {
      return {
        ...spec,
        run: async (io, argv) => {
          // yargs parsed argv by exactly the options declared here and the global ones the context reads.
          const handler = await load()
          await handler.default(createContext(io, argv as GlobalArgs), argv as Args<P, O>)
        },
      }
    },
  }
}

export function defineGroup(name: string, describe: string, subcommands: Command[]): CommandGroup {
  return { name, describe, subcommands }
}

export const FORMAT_OPTION = {
  format: { type: 'string', describe: 'Output format [json]', choices: FORMATS, default: undefined },
} as const satisfies OptionSet

export const forceOption = (describe: string) => ({ force: { type: 'boolean', describe } }) as const
