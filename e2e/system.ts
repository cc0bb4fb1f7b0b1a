// The whole system as users run it: the built `infra-server`, `infra-connector` and `infra` programs as their
// own processes, a real kube-apiserver, and the real kubectl, each user with a home of their own.
import { eventually, freePort, randomAccessKey, run, type Result } from '@infra/test-harness'
import { spawn, type ChildProcess } from 'node:child_process'
import { appendFileSync, createWriteStream, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { keepLogs, newLogFile } from './logs.js'

/** The repository's root directory. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const SERVER_BIN = join(ROOT, 'packages/server/dist/bin/infra-server.js')
export const CONNECTOR_BIN = join(ROOT, 'packages/connector/dist/bin/infra-connector.js')
export const INFRA_BIN = join(ROOT, 'packages/cli/dist/infra.js')
const KUBECTL = process.env.KUBECTL ?? 'kubectl'

/** A long-running program of ours; its output is kept for failure messages, and all of it in its log file. */
export class Program {
  private output = ''
  readonly exited: Promise<number | null>
  readonly logFile: string

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    this.logFile = newLogFile(name)
    const log = createWriteStream(this.logFile, { flags: 'a' })
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8')
      stream?.on('data', (chunk: string) => {
        log.write(chunk)
        this.output = (this.output + chunk).slice(-20_000)
      })
    }
    child.once('close', () => log.end())
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)))
  }

  /** The process ID of the program itself (node runs it directly, with no shell or wrapper in between). */
  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name} did not start`)
    return this.child.pid
  }

  static start(name: string, script: string, args: string[], env: NodeJS.ProcessEnv): Program {
    return new Program(
      name,
      spawn(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] }),
    )
  }

  logs(): string {
    return this.output
  }

  async waitUntilReady(url: string, init?: RequestInit): Promise<void> {
    await this.waitUntil(async () => (await fetch(url, init)).ok, 'ready')
  }

  /** Resolves to the first match of `pattern` in what the program printed, once it has. */
  async waitForOutput(pattern: RegExp): Promise<RegExpExecArray> {
    return this.waitUntil(() => pattern.exec(this.output) ?? undefined, `printing ${String(pattern)}`)
  }

  private waitUntil<T>(check: () => Promise<T | undefined | false> | T | undefined | false, what: string) {
    return eventually(check, 60_000, 25, `${this.name} ${what}`).catch((error: Error) => {
      throw new Error(`${error.message}\n--- ${this.name} output ---\n${this.output}`)
    })
  }

  async stop(): Promise<number | null> {
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000)
    const code = await this.exited
    clearTimeout(timer)
    return code
  }
}

/**
 * A person at their machine: their own HOME, KUBECONFIG and `infra` on the PATH (kubectl runs it for tokens):
 * the repository's build, or the `infra` of an installation (e.g. `npm i -g --prefix`'s bin directory).
 * What `infra` and kubectl (with the `infra` it runs for tokens) say on stderr goes to the person's log file;
 * stdout is the answer they asked for (a new key, a token), not a log.
 */
export class Person {
  readonly dir = mkdtempSync(join(tmpdir(), 'infra-e2e-home-'))
  readonly home = join(this.dir, 'home')
  readonly kubeconfig = join(this.home, '.kube', 'config')
  readonly env: NodeJS.ProcessEnv
  private readonly program: [string, ...string[]]
  private readonly logFile: string

  constructor(
    readonly name: string,
    installedBin?: string,
  ) {
    const bin = installedBin ?? join(this.dir, 'bin')
    mkdirSync(this.home, { recursive: true })
    if (installedBin) {
      this.program = [join(installedBin, 'infra')]
    } else {
      mkdirSync(bin)
      symlinkSync(INFRA_BIN, join(bin, 'infra'))
      this.program = [process.execPath, INFRA_BIN]
    }
    this.logFile = newLogFile(`cli-${name}`)
    this.env = {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      HOME: this.home,
      KUBECONFIG: this.kubeconfig,
      NO_COLOR: '1',
      // The machine's keyring is not theirs to fill: the 0600 file store.
      INFRA_KEYRING: 'file',
    }
  }

  infra(...args: string[]): Promise<Result> {
    const [file, ...before] = this.program
    return this.logged('infra', args, run(file, [...before, ...args], { env: this.env }))
  }

  /** `infra ...`, failing unless it succeeds; resolves to its output. */
  async must(...args: string[]): Promise<string> {
    const result = await this.infra(...args)
    if (result.code !== 0) throw new Error(`${this.name}: infra ${args.join(' ')}: ${result.stderr}`)
    return result.stdout.trim()
  }

  kubectl(...args: string[]): Promise<Result> {
    return this.logged('kubectl', args, run(KUBECTL, args, { env: this.env }))
  }

  /** Appends the command's stderr under a line naming it by its words, without options or their values (keys). */
  private async logged(program: string, args: string[], running: Promise<Result>): Promise<Result> {
    const result = await running
    const words = args.filter((arg, index) => !arg.startsWith('-') && !args[index - 1]?.startsWith('-'))
    appendFileSync(this.logFile, `$ ${program} ${words.join(' ')} (exit ${result.code})\n${result.stderr}`)
    return result
  }

  cleanup(): void {
    const agentLogs = join(this.home, '.infra', 'logs')
    keepLogs(`agent-${this.name}`, [join(agentLogs, 'agent.log.1'), join(agentLogs, 'agent.log')])
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** An Infra server on HTTPS with the certificate it generates, and an admin logged in to it. */
export interface RunningServer {
  program: Program
  /** `localhost:PORT`, as people type it. */
  address: string
  /** What the CLI passes to trust the server's self-signed certificate. */
  trust: string[]
  /** The server's certificate file, which connectors pin. */
  certificateFile: string
  port: number
}

/** Starts `infra-server` on the database and logs `admin` in to it with the admin access key (no agent). */
export async function startServer(admin: Person, databaseUrl: string): Promise<RunningServer> {
  const adminKey = randomAccessKey()
  const port = await freePort()
  const dataDir = join(admin.dir, `server-${port}`)
  const program = Program.start('infra-server', SERVER_BIN, ['--port', String(port), '--data-dir', dataDir], {
    ...process.env,
    DATABASE_URL: databaseUrl,
    INFRA_ADMIN_ACCESS_KEY: adminKey,
  })
  const [, fingerprint] = await program.waitForOutput(/SHA-256 fingerprint is\n\n +(\S+)\n/)
  await program.waitForOutput(/infra server listening/)
  const server: RunningServer = {
    program,
    address: `localhost:${port}`,
    trust: ['--tls-trusted-fingerprint', fingerprint!],
    certificateFile: join(dataDir, 'tls', 'cert.pem'),
    port,
  }
  await admin.must('login', server.address, '--key', adminKey, '--no-agent', ...server.trust)
  return server
}

/**
 * An `infra-connector` for destination `name` in front of a cluster, with an access key the admin made for it.
 * It keeps its ports, state directory and key when started again, as one restarted by its supervisor would.
 */
export class Connector {
  program: Program | undefined

  private constructor(
    private readonly args: string[],
    private readonly accessKey: string,
    private readonly healthUrl: string,
  ) {}

  /**
   * Starts one, talking to the server at `serverUrl` (the server itself, or something in between such as a
   * TCP proxy), and resolves once it is ready.
   */
  static async start(options: {
    admin: Person
    server: RunningServer
    serverUrl?: string
    kubeconfig: string
    name: string
  }): Promise<Connector> {
    const { admin, server } = options
    const [proxyPort, healthPort] = [await freePort(), await freePort()]
    const connector = new Connector(
      [
        ...['--server', options.serverUrl ?? `https://127.0.0.1:${server.port}`],
        ...['--server-ca', server.certificateFile],
        ...['--name', options.name],
        ...['--endpoint', `127.0.0.1:${proxyPort}`, '--listen', `127.0.0.1:${proxyPort}`],
        ...['--health-listen', `127.0.0.1:${healthPort}`],
        ...['--kubeconfig', options.kubeconfig],
        ...['--state-dir', join(admin.dir, `connector-${options.name}`)],
      ],
      await admin.must('keys', 'add', 'connector'),
      `http://127.0.0.1:${healthPort}`,
    )
    await connector.startAgain()
    return connector
  }

  /** Starts the program (again, after `kill`), with the same ports, state and key; resolves once ready. */
  async startAgain(): Promise<void> {
    this.program = Program.start('infra-connector', CONNECTOR_BIN, this.args, {
      ...process.env,
      INFRA_ACCESS_KEY: this.accessKey,
    })
    await this.program.waitUntilReady(`${this.healthUrl}/readyz`)
  }

  async stop(): Promise<void> {
    await this.program?.stop()
  }
}
