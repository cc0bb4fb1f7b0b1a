import { stopAgent } from '@infra/agent'
import { startServer, type RunningServer, type ServerOptions } from '@infra/server'
import {
  run as runProgram,
  startTestServer as startServerOnTestDatabase,
  type Result,
  type TestDatabase,
  type TestServer as HarnessTestServer,
} from '@infra/test-harness'
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { PassThrough, Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { pino } from 'pino'
import { runCli, type Io } from '../src/cli.js'

export const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..')
/** The bundled binary (`pnpm build`), as users run it. */
export const BIN = join(PACKAGE_DIR, 'dist', 'infra.js')
/** What `infra version` reports: the package's version, the one source of it. */
export const CLI_VERSION = (
  JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string }
).version

export { freePort as closedPort, uniqueName } from '@infra/test-harness'

export interface TestServer extends HarnessTestServer<RunningServer, any> {
  /** Request log lines (`{method, path, status}`) the server wrote since the last `clearLog()`. */
  requests(): { method: string; path: string; status: number }[]
  clearLog(): void
}

/** A real Infra server on its own Postgres database, with a request log to count calls. */
export async function startTestServer(
  options: Partial<ServerOptions> = {},
  database?: TestDatabase,
): Promise<TestServer> {
  let lines: { method: string; path: string; status: number }[] = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue
        try {
          const entry = JSON.parse(line) as { msg?: string; method?: string; path?: string; status?: number }
          if (entry.msg === 'request')
            lines.push({ method: entry.method ?? '', path: entry.path ?? '', status: entry.status ?? 0 })
        } catch {
          // not JSON
        }
      }
      callback()
    },
  })
  const infra = await startServerOnTestDatabase(
    (base) => startServer({ ...base, logger: pino({ level: 'info' }, sink), ...options }),
    { database },
  )
  return {
    ...infra,
    requests: () => [...lines],
    clearLog: () => {
      lines = []
    },
  }
}

export interface Sandbox {
  dir: string
  home: string
  kubeconfig: string
  env: Record<string, string>
  cleanup(): void
}

/** A temporary HOME and KUBECONFIG, so tests never touch the real ones; `infra` on PATH is the bundle. */
export function sandbox(extra: Record<string, string> = {}): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'infra-cli-test-'))
  const home = join(dir, 'home')
  const bin = join(dir, 'bin')
  mkdirSync(home, { recursive: true })
  mkdirSync(bin, { recursive: true })
  symlinkSync(BIN, join(bin, 'infra'))
  const kubeconfig = join(home, '.kube', 'config')
  const env: Record<string, string> = {
    HOME: home,
    KUBECONFIG: kubeconfig,
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    NO_COLOR: '1',
    // Never the machine's real keyring: the file store (the keyring fallback has tests of its own).
    INFRA_KEYRING: 'file',
    ...extra,
  }
  const cleanup = () => {
    // A login through the binary started a background agent for this home.
    stopAgent(join(home, '.infra'))
    rmSync(dir, { recursive: true, force: true })
  }
  return { dir, home, kubeconfig, env, cleanup }
}

/** Runs the CLI in-process with its own environment and standard input. */
export async function run(args: string[], env: Record<string, string>, stdin = ''): Promise<Result> {
  let stdout = ''
  let stderr = ''
  const input = new PassThrough()
  input.end(stdin)
  const io: Io = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin: input,
    env,
  }
  const code = await runCli(args, io)
  return { code, stdout, stderr }
}

/** Runs the bundled binary in a child process. */
export const runBin = (args: string[], env: Record<string, string>, options: { input?: string } = {}) =>
  runProgram(process.execPath, [BIN, ...args], { env, input: options.input ?? '' })

/** Runs any program, collecting its output. */
export const exec = (command: string, args: string[], env: Record<string, string>, input = '') =>
  runProgram(command, args, { env, input })

export interface Terminal {
  /** Everything the program wrote to the terminal so far, without colors and cursor movement. */
  output(): string
  /** The output as written, with its escape codes. */
  raw(): string
  /** Waits until the output (after what was already consumed) matches, then consumes it. */
  expect(pattern: RegExp | string, timeoutMs?: number): Promise<void>
  write(text: string): void
  exit: Promise<number>
}

// eslint-disable-next-line no-control-regex
const TERMINAL_CODES = /\u001b\[[0-9;?]*[A-Za-z]|\u001b[78]|\r/g

/**
 * Runs the bundled binary on a pseudo-terminal (util-linux `script`), so the real prompts run as a person
 * would see them; `write` types into it.
 */
export function terminal(args: string[], env: Record<string, string>): Terminal {
  const command = [process.execPath, BIN, ...args].map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ')
  // With a pipe for its own standard input, script gives the terminal no size: set one, as a window would.
  const child = spawn('script', ['-qfec', `stty cols 120 rows 40; exec ${command}`, '/dev/null'], {
    env: { ...env, TERM: 'xterm-256color', COLUMNS: '120', LINES: '40' },
  })
  let raw = ''
  let consumed = 0
  const waiters = new Set<() => void>()
  const onData = (chunk: Buffer) => {
    raw += chunk.toString('utf8')
    for (const waiter of waiters) waiter()
  }
  child.stdout.on('data', onData)
  child.stderr.on('data', onData)
  const exit = new Promise<number>((resolvePromise) => child.on('close', (code) => resolvePromise(code ?? 1)))
  const clean = () => raw.replace(TERMINAL_CODES, '')
  return {
    output: clean,
    raw: () => raw,
    write: (text) => child.stdin.write(text),
    exit,
    expect: (pattern, timeoutMs = 15_000) =>
      new Promise((resolvePromise, reject) => {
        const check = () => {
          const text = clean().slice(consumed)
          const match = typeof pattern === 'string' ? text.indexOf(pattern) : text.search(pattern)
          if (match === -1) return false
          consumed +=
            match + (typeof pattern === 'string' ? pattern.length : (text.match(pattern)?.[0].length ?? 0))
          waiters.delete(waiter)
          clearTimeout(timer)
          resolvePromise()
          return true
        }
        const waiter = () => void check()
        const timer = setTimeout(() => {
          waiters.delete(waiter)
          reject(
            new Error(
              `timed out waiting for ${String(pattern)}; terminal shows:\n${clean().slice(consumed)}`,
            ),
          )
        }, timeoutMs)
        if (!check()) waiters.add(waiter)
        void exit.then(() =>
          setTimeout(() => {
            if (waiters.has(waiter) && !check()) {
              waiters.delete(waiter)
              clearTimeout(timer)
              reject(
                new Error(`exited before ${String(pattern)}; terminal shows:\n${clean().slice(consumed)}`),
              )
            }
          }, 50),
        )
      }),
  }
}

export const KEY = { enter: '\r', down: '\u001b[B', up: '\u001b[A' }
