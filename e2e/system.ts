// The whole system as users run it: the built `infra-server`, `infra-connector` and `infra` programs as their
// own processes, a real kube-apiserver, and the real kubectl, each user with a home of their own.
import { ownedSelector } from '@infra/connector'
import { eventually, freePort, randomAccessKey, run, type Result } from '@infra/test-harness'
import type { KubeApiServer } from '@infra/test-harness/kube'
import { spawn, type ChildProcess } from 'node:child_process'
import { appendFileSync, createWriteStream, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import type { IncomingHttpHeaders } from 'node:http'
import https from 'node:https'
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

  /** Calls `listener` with every chunk the program prints from now on (all of it, not only the kept tail). */
  onOutput(listener: (chunk: string) => void): void {
    for (const stream of [this.child.stdout, this.child.stderr]) stream?.on('data', listener)
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

  /** Kills the program at once (SIGKILL), as a crash or an OOM kill would; resolves once it has exited. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL')
    await this.exited
  }

  async stop(): Promise<number | null> {
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000)
    const code = await this.exited
    clearTimeout(timer)
    return code
  }
}

/** The parts of `kubectl config view -o json` that name a context's cluster and its exec plugin. */
interface KubeconfigView {
  clusters?: Array<{
    cluster: { server?: string; 'certificate-authority-data'?: string }
    extensions?: Array<{ name: string; extension: unknown }>
  }>
  users?: Array<{
    user?: {
      exec?: {
        apiVersion: string
        command: string
        args?: string[]
        env?: Array<{ name: string; value: string }>
        provideClusterInfo?: boolean
      }
    }
  }>
}

/** A Kubernetes API endpoint with what authenticates to it, e.g. a connector's proxy and a user's token. */
export interface KubeCredentials {
  server: string
  ca: string | undefined
  token: string
}

/** One GET to a Kubernetes API with the credentials; resolves to the response's status (0: no answer), body and
 * headers. */
export function kubeRequest(
  credentials: KubeCredentials,
  path: string,
): Promise<{ status: number; body: string; headers: IncomingHttpHeaders }> {
  return new Promise((resolve) => {
    const request = https.get(
      new URL(path, credentials.server),
      {
        ...(credentials.ca === undefined ? {} : { ca: credentials.ca }),
        headers: { authorization: `Bearer ${credentials.token}` },
        timeout: 5_000,
      },
      (response) => {
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => (body += chunk))
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body, headers: response.headers }),
        )
      },
    )
    request.on('timeout', () => request.destroy())
    request.on('error', () => resolve({ status: 0, body: '', headers: {} }))
  })
}

/** One GET to a Kubernetes API with the credentials; resolves to the response status (0: no answer). */
export async function kubeGet(credentials: KubeCredentials, path: string): Promise<number> {
  return (await kubeRequest(credentials, path)).status
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

  /**
   * What kubectl sends for `context`: its server and CA, and the token its exec plugin prints when run as
   * kubectl runs it (the plugin's arguments and environment, the cluster's details when it asks for them).
   */
  async kubeCredentials(context: string): Promise<KubeCredentials> {
    const view = JSON.parse(
      (
        await this.kubectl(
          'config',
          'view',
          '--raw',
          '--minify',
          '--flatten',
          '--context',
          context,
          '-o',
          'json',
        )
      ).stdout,
    ) as KubeconfigView
    const entry = view.clusters?.[0]
    const exec = view.users?.[0]?.user?.exec
    if (!entry?.cluster.server || !exec)
      throw new Error(`${this.name}: context ${context} has no exec plugin`)
    const env = { ...this.env }
    for (const variable of exec.env ?? []) env[variable.name] = variable.value
    if (exec.provideClusterInfo) {
      const config = entry.extensions?.find(({ name }) => name === 'client.authentication.k8s.io/exec')
      env.KUBERNETES_EXEC_INFO = JSON.stringify({
        apiVersion: exec.apiVersion,
        kind: 'ExecCredential',
        spec: { interactive: false, cluster: { ...entry.cluster, config: config?.extension } },
      })
    }
    const result = await run(exec.command, exec.args ?? [], { env })
    if (result.code !== 0) throw new Error(`${this.name}: the exec plugin failed: ${result.stderr}`)
    const credential = JSON.parse(result.stdout) as { status: { token: string } }
    const ca = entry.cluster['certificate-authority-data']
    return {
      server: entry.cluster.server,
      ca: ca === undefined ? undefined : Buffer.from(ca, 'base64').toString(),
      token: credential.status.token,
    }
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
  /** The access key `admin` logged in with (`INFRA_ADMIN_ACCESS_KEY`). */
  adminKey: string
}

/**
 * Starts `infra-server` on the database, with `args` besides its port and data directory (and `env` added to the
 * environment), and logs `admin` in to it with the admin access key (no agent).
 */
export async function startServer(
  admin: Person,
  databaseUrl: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<RunningServer> {
  const adminKey = randomAccessKey()
  const port = await freePort()
  const dataDir = join(admin.dir, `server-${port}`)
  const program = Program.start(
    'infra-server',
    SERVER_BIN,
    ['--port', String(port), '--data-dir', dataDir, ...args],
    {
      ...process.env,
      DATABASE_URL: databaseUrl,
      INFRA_ADMIN_ACCESS_KEY: adminKey,
      ...env,
    },
  )
  const [, fingerprint] = await program.waitForOutput(/SHA-256 fingerprint is\n\n +(\S+)\n/)
  await program.waitForOutput(/infra server listening/)
  const server: RunningServer = {
    program,
    address: `localhost:${port}`,
    trust: ['--tls-trusted-fingerprint', fingerprint!],
    certificateFile: join(dataDir, 'tls', 'cert.pem'),
    port,
    adminKey,
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
    /** http://127.0.0.1:PORT of its /readyz and /metrics. */
    readonly healthUrl: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** Starts one, talking to the server at `server` (the server itself, or something in between such as a
   * TCP proxy or a load balancer) and trusting it by the CA file `serverCa`; resolves once it is ready. */
  static async start(options: {
    name: string
    server: string
    serverCa: string
    accessKey: string
    kubeconfig: string
    /** Where its state directory goes. */
    dir: string
    /** Added to its environment. */
    env?: NodeJS.ProcessEnv
  }): Promise<Connector> {
    const [proxyPort, healthPort] = [await freePort(), await freePort()]
    const connector = new Connector(
      [
        ...['--server', options.server, '--server-ca', options.serverCa, '--name', options.name],
        ...['--endpoint', `127.0.0.1:${proxyPort}`, '--listen', `127.0.0.1:${proxyPort}`],
        ...['--health-listen', `127.0.0.1:${healthPort}`, '--kubeconfig', options.kubeconfig],
        ...['--state-dir', join(options.dir, `connector-${options.name}`)],
      ],
      options.accessKey,
      `http://127.0.0.1:${healthPort}`,
      options.env ?? {},
    )
    await connector.startAgain()
    return connector
  }

  /**
   * Starts one for the server `admin` runs, with a connector key the admin makes for it, reaching the server at
   * `via` when something stands in between (default: the server itself).
   */
  static async startFor(
    admin: Person,
    server: RunningServer,
    options: { name: string; kubeconfig: string; via?: string; env?: NodeJS.ProcessEnv },
  ): Promise<Connector> {
    return Connector.start({
      name: options.name,
      server: options.via ?? `https://127.0.0.1:${server.port}`,
      serverCa: server.certificateFile,
      accessKey: await admin.must('keys', 'add', 'connector'),
      kubeconfig: options.kubeconfig,
      dir: admin.dir,
      ...(options.env && { env: options.env }),
    })
  }

  /**
   * Starts the program (again, after `kill` or `stop`), with the same ports, state and key, and `extraArgs`
   * besides (this time only); resolves once ready.
   */
  async startAgain(extraArgs: string[] = []): Promise<void> {
    this.program = Program.start('infra-connector', CONNECTOR_BIN, [...this.args, ...extraArgs], {
      ...process.env,
      INFRA_ACCESS_KEY: this.accessKey,
      ...this.env,
    })
    await this.program.waitUntilReady(`${this.healthUrl}/readyz`)
  }

  async stop(): Promise<void> {
    await this.program?.stop()
  }
}

/** A line of a program's JSON log (pino's): `time` in milliseconds since the epoch. */
export interface LogLine {
  time: number
  msg: string
  [field: string]: unknown
}

/** Collects every JSON log line `program` prints from now on, parsed, in order (other lines are skipped). */
export function collectLogLines(program: Program): LogLine[] {
  const lines: LogLine[] = []
  let partial = ''
  program.onOutput((chunk) => {
    const complete = (partial + chunk).split('\n')
    partial = complete.pop() ?? ''
    for (const line of complete) {
      try {
        lines.push(JSON.parse(line) as LogLine)
      } catch {
        // not a log line
      }
    }
  })
  return lines
}

/** Makes `email` a user with an access key and logs `person` in with it (their agent keeps the kubeconfig). */
export async function logInAsNewUser(
  admin: Person,
  person: Person,
  email: string,
  server: RunningServer,
): Promise<void> {
  await admin.must('users', 'add', email)
  const key = await admin.must('keys', 'add', email)
  await person.must('login', server.address, '--key', key, ...server.trust)
}

/** A GET of the cluster's API as its admin (no kubectl in between, for timings); resolves to the JSON. */
async function kubeJson<T>(kube: KubeApiServer, path: string): Promise<T> {
  const { status, body } = await kubeRequest(
    { server: kube.url, ca: kube.ca, token: kube.tokens.admin ?? '' },
    path,
  )
  if (status !== 200) throw new Error(`GET ${path}: ${status || 'no answer'} ${body}`)
  return JSON.parse(body) as T
}

interface RoleBindingList {
  items: Array<{
    metadata: { name: string }
    roleRef: { name: string }
    subjects?: Array<{ kind: string; name: string }>
  }>
}

/**
 * What the RoleBindings of destination `destination`'s connector in `namespace` grant, one `role kind/name` line
 * per subject of each, sorted: a subject bound twice to one role shows twice.
 */
export async function boundSubjects(
  kube: KubeApiServer,
  destination: string,
  namespace: string,
): Promise<string[]> {
  const list = await kubeJson<RoleBindingList>(
    kube,
    `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings?labelSelector=${encodeURIComponent(ownedSelector(destination))}`,
  )
  return list.items
    .flatMap((binding) =>
      (binding.subjects ?? []).map((subject) => `${binding.roleRef.name} ${subject.kind}/${subject.name}`),
    )
    .sort()
}
