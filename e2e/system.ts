// The whole system as users run it: the built `infra-server`, `infra-connector` and `infra` programs as their
// own processes, a real kube-apiserver, and the real kubectl, each user with a home of their own.
import { eventually, freePort, run, type Result } from '@infra/test-harness'
import { ownedSelector } from '@infra/connector'
import type { KubeApiServer } from '@infra/test-harness/kube'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { get as httpsGet } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository's root directory. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const SERVER_BIN = join(ROOT, 'packages/server/dist/bin/infra-server.js')
export const CONNECTOR_BIN = join(ROOT, 'packages/connector/dist/bin/infra-connector.js')
export const INFRA_BIN = join(ROOT, 'packages/cli/dist/infra.js')
const KUBECTL = process.env.KUBECTL ?? 'kubectl'

/** A long-running program of ours; its output is kept for failure messages. */
export class Program {
  private output = ''
  readonly exited: Promise<number | null>

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8')
      stream?.on('data', (chunk: string) => (this.output = (this.output + chunk).slice(-20_000)))
    }
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)))
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

/**
 * A person at their machine: their own HOME, KUBECONFIG and `infra` on the PATH (kubectl runs it for tokens):
 * the repository's build, or the `infra` of an installation (e.g. `npm i -g --prefix`'s bin directory).
 */
export class Person {
  readonly dir = mkdtempSync(join(tmpdir(), 'infra-e2e-home-'))
  readonly home = join(this.dir, 'home')
  readonly kubeconfig = join(this.home, '.kube', 'config')
  readonly env: NodeJS.ProcessEnv
  private readonly program: [string, ...string[]]

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
    return run(file, [...before, ...args], { env: this.env })
  }

  /** `infra ...`, failing unless it succeeds; resolves to its output. */
  async must(...args: string[]): Promise<string> {
    const result = await this.infra(...args)
    if (result.code !== 0) throw new Error(`${this.name}: infra ${args.join(' ')}: ${result.stderr}`)
    return result.stdout.trim()
  }

  kubectl(...args: string[]): Promise<Result> {
    return run(KUBECTL, args, { env: this.env })
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** The connector of destination `name` for the cluster `kube`, started and ready; its files go in `dir`. */
export async function startConnectorProcess(options: {
  name: string
  /** The server's URL, as the connector reaches it, and the CA file it trusts it by. */
  server: string
  serverCa: string
  accessKey: string
  kube: KubeApiServer
  dir: string
}): Promise<Program> {
  const [proxyPort, healthPort] = [await freePort(), await freePort()]
  const connector = Program.start(
    'infra-connector',
    CONNECTOR_BIN,
    [
      ...['--server', options.server, '--server-ca', options.serverCa, '--name', options.name],
      ...['--endpoint', `127.0.0.1:${proxyPort}`, '--listen', `127.0.0.1:${proxyPort}`],
      ...['--health-listen', `127.0.0.1:${healthPort}`, '--kubeconfig', options.kube.kubeconfigPath],
      ...['--state-dir', join(options.dir, 'connector')],
    ],
    { ...process.env, INFRA_ACCESS_KEY: options.accessKey },
  )
  await connector.waitUntilReady(`http://127.0.0.1:${healthPort}/readyz`)
  return connector
}

/** A GET of the cluster's API as its admin (no kubectl in between, for timings); resolves to the JSON. */
function kubeJson<T>(kube: KubeApiServer, path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const request = httpsGet(
      new URL(path, kube.url),
      { ca: kube.ca, headers: { Authorization: `Bearer ${kube.tokens.admin ?? ''}` } },
      (response) => {
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => (body += chunk))
        response.on('end', () => {
          if (response.statusCode === 200) resolve(JSON.parse(body) as T)
          else reject(new Error(`GET ${path}: ${response.statusCode ?? 'no status'} ${body}`))
        })
      },
    )
    request.on('error', reject)
  })
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
