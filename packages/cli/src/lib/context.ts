import { homedir } from 'node:os'
import { join } from 'node:path'

/** Where text goes: process.stdout/stderr in the binary, buffers in tests. */
export interface Output {
  write(text: string): unknown
  isTTY?: boolean
  columns?: number
}

/** Everything the CLI takes from its surroundings, so tests can run it in-process with their own. */
export interface Io {
  stdout: Output
  stderr: Output
  stdin: NodeJS.ReadableStream & { isTTY?: boolean }
  env: Record<string, string | undefined>
  /** The script this CLI runs as (`process.argv[1]`); none where it does not run as its own program. */
  script?: string
}

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export class CliError extends Error {
  override name = 'CliError'
  constructor(
    message: string,
    /** One line telling the user what to do next. */
    readonly hint?: string,
    readonly exitCode = 1,
  ) {
    super(message)
  }
}

export function processIo(): Io {
  const script = process.argv[1]
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    ...(script ? { script } : {}),
  }
}

export function infraHome(env: Io['env']): string {
  return join(env.HOME || homedir(), '.infra')
}

/** Colors only for a terminal, never with NO_COLOR (https://no-color.org). */
export function colorsFor(output: Output, env: Io['env']): boolean {
  return output.isTTY === true && (env.NO_COLOR ?? '') === '' && env.TERM !== 'dumb'
}

export interface Style {
  bold(text: string): string
  dim(text: string): string
  red(text: string): string
  green(text: string): string
  yellow(text: string): string
}

const wrap = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`
const plain = (text: string) => text

export function styleFor(enabled: boolean): Style {
  return enabled
    ? { bold: wrap(1, 22), dim: wrap(2, 22), red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39) }
    : { bold: plain, dim: plain, red: plain, green: plain, yellow: plain }
}

export class Logger {
  readonly #rank: number
  readonly #once = new Set<string>()
  constructor(
    readonly level: LogLevel,
    private readonly out: Output,
    private readonly style: Style,
  ) {
    this.#rank = LOG_LEVELS.indexOf(level)
  }

  #log(level: LogLevel, message: string): void {
    if (LOG_LEVELS.indexOf(level) > this.#rank) return
    const prefix =
      level === 'error'
        ? this.style.red('error: ')
        : level === 'warn'
          ? this.style.yellow('warning: ')
          : level === 'debug'
            ? this.style.dim('debug: ')
            : ''
    this.out.write(`${prefix}${message}\n`)
  }

  error(message: string): void {
    this.#log('error', message)
  }
  warn(message: string): void {
    this.#log('warn', message)
  }
  info(message: string): void {
    this.#log('info', message)
  }
  debug(message: string): void {
    this.#log('debug', message)
  }
  /** A message said at most once per run (e.g. "no keyring, using a file"). */
  debugOnce(key: string, message: string): void {
    if (this.#firstTime(key)) this.debug(message)
  }
  warnOnce(key: string, message: string): void {
    if (this.#firstTime(key)) this.warn(message)
  }
  #firstTime(key: string): boolean {
    if (this.#once.has(key)) return false
    this.#once.add(key)
    return true
  }
}

/** What every command handler gets. */
export interface Context {
  io: Io
  env: Io['env']
  log: Logger
  /** Styles for stderr and for stdout: each is plain unless it is a terminal. */
  style: Style
  outStyle: Style
  /** `~/.infra` */
  home: string
  /** Whether prompts may be shown: a terminal on both ends and no --non-interactive. */
  interactive: boolean
}

export interface GlobalArgs {
  logLevel: LogLevel
  server?: string
  accessKey?: string
  nonInteractive?: boolean
  /** Only errors (and the result) are printed, unless --log-level debug. */
  silent?: boolean
}

export function createContext(io: Io, args: GlobalArgs): Context {
  const style = styleFor(colorsFor(io.stderr, io.env))
  return {
    io,
    outStyle: styleFor(colorsFor(io.stdout, io.env)),
    env: io.env,
    log: new Logger(args.silent && args.logLevel !== 'debug' ? 'error' : args.logLevel, io.stderr, style),
    style,
    home: infraHome(io.env),
    interactive: args.nonInteractive !== true && io.stdin.isTTY === true && io.stderr.isTTY === true,
  }
}
