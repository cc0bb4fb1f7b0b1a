import { spawn, type ChildProcess } from 'node:child_process'
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

/** The real `infra-server` binary over plain HTTP, as the bare Express baseline; request logging is off (warn level) so that the API path itself is measured. */
export async function startInfraServer(
  databaseUrl: string,
  adminKey: string,
  extraArgs: string[] = [],
): Promise<Child> {
  const port = await findFreePort()
  const child = spawn(
    process.execPath,
    [
      'dist/bin/infra-server.js',
      '--insecure-http',
      '--port',
      String(port),
      '--log-level',
      'warn',
      ...extraArgs,
    ],
    {
      cwd: PACKAGE_DIR,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        INFRA_ADMIN_ACCESS_KEY: adminKey,
        INFRA_ROOT_KEY: 'bench-root-key-0123456789',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  )
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) throw new Error(`infra-server exited with ${child.exitCode}`)
    const healthy = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (response) => response.ok,
      () => false,
    )
    if (healthy) {
      return {
        process: child,
        port,
        stop: () =>
          new Promise((done) => {
            child.once('exit', () => done())
            child.kill('SIGTERM')
          }),
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  child.kill('SIGKILL')
  throw new Error('infra-server did not become healthy')
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

/** Resident memory of a process, in MiB. */
export async function residentMemoryMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return kib / 1024
}
