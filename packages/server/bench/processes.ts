import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { findFreePort } from '@infra/embedded-postgres'

export interface Child {
  process: ChildProcess
  port: number
  stop(): Promise<void>
}

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url))

/** Starts a child process and waits until a line of its output reveals the port it listens on. */
export function startChild(
  command: string,
  args: string[],
  env: Record<string, string>,
  portLine: RegExp,
): Promise<Child> {
  const child = spawn(command, args, {
    cwd: PACKAGE_DIR,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return new Promise((resolve, reject) => {
    let output = ''
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = portLine.exec(output)
      if (match) {
        child.stdout?.off('data', onData)
        child.stderr?.off('data', onData)
        resolve({
          process: child,
          port: Number(match[1]),
          stop: () =>
            new Promise((done) => {
              child.once('exit', () => done())
              child.kill('SIGTERM')
            }),
        })
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code}:\n${output}`)))
  })
}

export interface InfraServerOptions {
  /** Default warn: no access log, so that the API path itself is measured. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error'
  /** Default 1: one process, as every section but `workers` measures. */
  workers?: number
}

/**
 * The real `infra-server` binary over plain HTTP, as the bare Express baseline. Its log goes to a file (as a
 * container runtime's would), read only to know when every worker listens and to show why it failed.
 */
export async function startInfraServer(
  databaseUrl: string,
  adminKey: string,
  extraArgs: string[] = [],
  { logLevel = 'warn', workers = 1 }: InfraServerOptions = {},
): Promise<Child> {
  const port = await findFreePort()
  const logDir = await mkdtemp(join(tmpdir(), 'infra-bench-'))
  const logFile = join(logDir, 'infra-server.log')
  const log = openSync(logFile, 'w')
  const args = [
    '--insecure-http',
    '--port',
    String(port),
    '--log-level',
    logLevel,
    '--workers',
    String(workers),
  ]
  const child = spawn(process.execPath, ['dist/bin/infra-server.js', ...args, ...extraArgs], {
    cwd: PACKAGE_DIR,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      INFRA_ADMIN_ACCESS_KEY: adminKey,
      INFRA_ROOT_KEY: 'bench-root-key-0123456789',
    },
    stdio: ['ignore', log, 'inherit'],
  })
  closeSync(log)
  const stop = () =>
    new Promise<void>((done) => {
      child.once('exit', () => done())
      child.kill('SIGTERM')
    }).then(() => rm(logDir, { recursive: true, force: true }))
  // Each process says it listens, at warn level over plain HTTP.
  const listening = async () =>
    (await readFile(logFile, 'utf8')).split('\n').filter((line) => line.includes('"infra server listening'))
      .length >= workers
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) {
      throw new Error(`infra-server exited with ${child.exitCode}:\n${await readFile(logFile, 'utf8')}`)
    }
    if (await listening()) return { process: child, port, stop }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  child.kill('SIGKILL')
  throw new Error('infra-server did not start listening')
}

/** Bare Express answering GET `path` (any query) with `body`. */
export async function startBareExpress(path: string, body: unknown): Promise<Child> {
  // In a file: a large page exceeds what one environment variable may hold (E2BIG).
  const directory = await mkdtemp(join(tmpdir(), 'infra-bench-body-'))
  const bodyFile = join(directory, 'body.json')
  await writeFile(bodyFile, JSON.stringify(body))
  const child = await startChild(
    process.execPath,
    ['--import', 'tsx', 'bench/bare-express.ts'],
    { BENCH_PATH: path, BENCH_BODY_FILE: bodyFile },
    /listening (\d+)/,
  )
  return {
    ...child,
    stop: async () => {
      await child.stop()
      await rm(directory, { recursive: true, force: true })
    },
  }
}
