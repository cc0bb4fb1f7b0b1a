import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { findFreePort } from '@infra/embedded-postgres'
import { imageNodeFlags } from '@infra/test-harness/bench'
import { createSelfSigned } from '@infra/test-harness/certificates'

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
 * Starts `command` with its standard output in a log file in `directory` (as a container runtime's would), read
 * only to know when it is `ready` and to show why it failed.
 */
async function startLogged(
  name: string,
  command: string,
  args: string[],
  {
    env,
    directory,
    ready,
    errorsToLog = false,
  }: {
    env: Record<string, string>
    directory: string
    ready: (log: string) => boolean | Promise<boolean>
    /** Its standard error too, for a server that logs there (by default it shows in the bench's output). */
    errorsToLog?: boolean
  },
): Promise<ChildProcess> {
  const logFile = join(directory, `${name}.log`)
  const log = openSync(logFile, 'w')
  const child = spawn(command, args, {
    cwd: PACKAGE_DIR,
    env: { ...process.env, ...env },
    stdio: ['ignore', log, errorsToLog ? log : 'inherit'],
  })
  closeSync(log)
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) {
      throw new Error(`${name} exited with ${child.exitCode}:\n${await readFile(logFile, 'utf8')}`)
    }
    if (await ready(await readFile(logFile, 'utf8'))) return child
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  child.kill('SIGKILL')
  throw new Error(`${name} did not become ready:\n${await readFile(logFile, 'utf8')}`)
}

function stopper(child: ChildProcess, directory: string) {
  return () =>
    new Promise<void>((done) => {
      child.once('exit', () => done())
      child.kill('SIGTERM')
    }).then(() => rm(directory, { recursive: true, force: true }))
}

/** The real `infra-server` binary over plain HTTP, with the Node flags of its image, as the bare Express baseline. */
export async function startInfraServer(
  databaseUrl: string,
  adminKey: string,
  extraArgs: string[] = [],
  { logLevel = 'warn', workers = 1 }: InfraServerOptions = {},
): Promise<Child> {
  const port = await findFreePort()
  const directory = await mkdtemp(join(tmpdir(), 'infra-bench-'))
  const args = [
    '--insecure-http',
    '--port',
    String(port),
    '--log-level',
    logLevel,
    '--workers',
    String(workers),
  ]
  const child = await startLogged(
    'infra-server',
    process.execPath,
    [...imageNodeFlags('infra-server'), 'dist/bin/infra-server.js', ...args, ...extraArgs],
    {
      env: {
        DATABASE_URL: databaseUrl,
        INFRA_ADMIN_ACCESS_KEY: adminKey,
        INFRA_ROOT_KEY: 'bench-root-key-0123456789',
      },
      directory,
      // Each process says it listens, at warn level over plain HTTP.
      ready: (log) =>
        log.split('\n').filter((line) => line.includes('"infra server listening')).length >= workers,
    },
  )
  return { process: child, port, stop: stopper(child, directory) }
}

/** The API version the original Go Infra v0.21.0 answers, for its `Infra-Version` header. */
export const ORIGINAL_API_VERSION = '0.21.0'

/** The name of the admin user the original starts with, holding `adminKey`. */
const ORIGINAL_ADMIN_NAME = 'admin@example.com'

/**
 * The original Go Infra server (`binary`, e.g. v0.21.0's `infra`) on `databaseUrl`, over plain HTTP at log
 * level warn with telemetry off, holding `adminKey` for an admin user. Its HTTPS (with a self-signed
 * certificate) and metrics listeners take free ports on 127.0.0.1; it creates its root key file in a directory
 * of its own, and migrates its database before it answers `/healthz`.
 */
export async function startOriginalInfra(
  binary: string,
  databaseUrl: string,
  adminKey: string,
): Promise<Child> {
  const port = await findFreePort()
  const directory = await mkdtemp(join(tmpdir(), 'infra-bench-original-'))
  const configFile = join(directory, 'infra.yaml')
  const certificate = await createSelfSigned({ ip: ['127.0.0.1'] })
  // JSON is YAML, which its config file is.
  await writeFile(
    configFile,
    JSON.stringify({
      version: 0.3,
      enableTelemetry: false,
      enableSignup: false,
      tlsCache: join(directory, 'tls-cache'),
      dbEncryptionKey: join(directory, 'root.key'),
      dbConnectionString: databaseUrl,
      // Its HTTPS listener cannot be turned off and needs a certificate.
      tls: { certificate: certificate.certificate, privateKey: certificate.key },
      addr: { http: `127.0.0.1:${port}`, https: '127.0.0.1:0', metrics: '127.0.0.1:0' },
      users: [{ name: ORIGINAL_ADMIN_NAME, accessKey: adminKey, infraRole: 'admin' }],
    }),
  )
  const child = await startLogged(
    'infra-original',
    binary,
    ['server', '--config-file', configFile, '--log-level', 'warn'],
    {
      // Its home directory would otherwise receive its ~/.infra.
      env: { HOME: directory },
      directory,
      // It logs there: at warn, each slow query, and each request the load generator leaves at its end.
      errorsToLog: true,
      ready: () =>
        fetch(`http://127.0.0.1:${port}/healthz`).then(
          (response) => response.ok,
          () => false,
        ),
    },
  )
  return { process: child, port, stop: stopper(child, directory) }
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
