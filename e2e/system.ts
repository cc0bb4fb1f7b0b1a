// The whole system as users run it: the built `infra-server`, `infra-connector` and `infra` programs as their
// own processes, a real kube-apiserver, and the real kubectl, each user with a home of their own.
import { eventually, run, type Result } from '@infra/test-harness'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
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
    await eventually(async () => (await fetch(url, init)).ok, 60_000, 25, `${this.name} ready`).catch(
      (error: Error) => {
        throw new Error(`${error.message}\n--- ${this.name} output ---\n${this.output}`)
      },
    )
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
