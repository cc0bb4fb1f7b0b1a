// Test helper: a real kube-apiserver (+ embedded etcd) per call, for jest.
//
//   const kube = await startKubeApiServer()
//   ... kubectl --kubeconfig kube.kubeconfigPath ...
//   await kube.stop()
//
// If INFRA_TEST_KUBECONFIG is set, that cluster (current context) is returned
// instead and stop() does nothing.
import { execFile, execFileSync, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export interface KubeApiServer {
  /** https://127.0.0.1:PORT */
  url: string
  /** PEM of the CA that signed the serving certificate ('' if unknown) */
  ca: string
  /** bearer tokens by user name: admin (system:masters), alice, bob (no RBAC rights) */
  tokens: Record<string, string>
  /** kubeconfig for the admin user */
  kubeconfigPath: string
  /** Process id of the harness (kube-apiserver and etcd), e.g. to pin it to a CPU in benchmarks; none for INFRA_TEST_KUBECONFIG. */
  pid?: number
  stop(): Promise<void>
}

// The Go program and its scripts sit in kube/ at the package root, beside src/ (tests) and dist/ (built).
const buildScript = fileURLToPath(new URL('../kube/build.sh', import.meta.url))

const readyTimeoutMs = () => Number(process.env.INFRA_KUBE_READY_TIMEOUT_MS ?? 120_000)
const BUILD_TIMEOUT_MS = 45 * 60_000
const STOP_TIMEOUT_MS = 30_000
/** How long a restartable cluster's API server may take to stop gracefully when shut down. */
const SHUT_DOWN_GRACE_MS = 3_000
const STDERR_TAIL_BYTES = 16 * 1024

let binaryPromise: Promise<string> | undefined

/** Builds the harness binary once per process (cached on disk by build.sh) and returns its path. */
export function buildKubeApiServer(): Promise<string> {
  binaryPromise ??= new Promise<string>((resolve, reject) => {
    execFile(
      'bash',
      [buildScript],
      { timeout: BUILD_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const bin = stdout.trim().split('\n').pop() ?? ''
        if (err || !bin) {
          binaryPromise = undefined
          reject(new Error(`kube/build.sh failed: ${err?.message ?? 'no output'}\n${tail(stderr)}`))
          return
        }
        resolve(bin)
      },
    )
  })
  return binaryPromise
}

/**
 * For a jest globalSetup: builds the binary (or finds it cached) before any test, with the build's output on
 * stderr, so that no test hook waits for a first-time Go build. Nothing to build for INFRA_TEST_KUBECONFIG.
 */
export function buildKubeApiServerBeforeTests(): void {
  if (process.env.INFRA_TEST_KUBECONFIG) return
  execFileSync('bash', [buildScript], { stdio: ['ignore', 'ignore', 'inherit'] })
}

/** A cluster that can be shut down and started again: same port, certificates, tokens and data (its etcd). */
export interface RestartableKubeApiServer extends KubeApiServer {
  /**
   * Stops the API server (and its etcd), keeping its data: SIGTERM, so it refuses new connections at once; its
   * open watches end when it exits, at most 3 s later. Until `startAgain`, connections are refused.
   */
  shutDown(): Promise<void>
  /** Starts it again on the same port and data; resolves once it is ready. */
  startAgain(): Promise<void>
}

/**
 * Starts a fresh, empty cluster (or returns the INFRA_TEST_KUBECONFIG one); `args` are more kube-apiserver flags
 * (e.g. `--audit-log-path`), which an INFRA_TEST_KUBECONFIG cluster cannot take.
 */
export async function startKubeApiServer(options: { args?: string[] } = {}): Promise<KubeApiServer> {
  const external = process.env.INFRA_TEST_KUBECONFIG
  if (external && !options.args?.length) return fromKubeconfig(external)
  const outDir = uniqueTempPath('infra-kube-out')
  const running = await spawnHarness(outDir, {}, options.args)
  return {
    ...clusterOf(running),
    ...(running.child.pid === undefined ? {} : { pid: running.child.pid }),
    stop: () => stopRunning(running),
  }
}

/** Starts a fresh, empty cluster of its own that can be restarted (never the INFRA_TEST_KUBECONFIG one). */
export async function startRestartableKubeApiServer(): Promise<RestartableKubeApiServer> {
  const outDir = uniqueTempPath('infra-kube-out')
  // Not under the harness's own temporary prefix, so that no other run sweeps it while the cluster is down.
  const stateDir = uniqueTempPath('infra-kube-state')
  const env = { KUBE_HARNESS_STATE_DIR: stateDir }
  let running = await spawnHarness(outDir, env)
  return {
    ...clusterOf(running),
    shutDown: () => stopRunning(running, SHUT_DOWN_GRACE_MS),
    startAgain: async () => {
      running = await spawnHarness(outDir, env)
    },
    stop: async () => {
      await stopRunning(running)
      fs.rmSync(stateDir, { recursive: true, force: true })
    },
  }
}

function uniqueTempPath(prefix: string): string {
  return path.join(os.tmpdir(), `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`)
}

/** Runs the harness binary until it prints `ready`. */
async function spawnHarness(outDir: string, env: NodeJS.ProcessEnv, args: string[] = []): Promise<Running> {
  const bin = await buildKubeApiServer()
  // The harness creates OUTDIR and removes it again when it exits, even when
  // it is terminated because this process died (PR_SET_PDEATHSIG).
  const child = spawn(bin, [outDir, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GOTRACEBACK: 'all', ...env },
  })
  const running: Running = { child, outDir }
  live.add(running)
  registerExitHooks()
  let stderrTail = ''
  const echo = process.env.INFRA_KUBE_DEBUG === '1'
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (chunk: string) => {
    // Always keep draining the pipe, or the apiserver blocks on logging.
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_BYTES)
    if (echo) process.stderr.write(chunk)
  })

  // 'error' without 'exit' happens when the binary cannot be spawned at all.
  running.exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve())
    child.once('error', () => resolve())
  })

  try {
    await new Promise<void>((resolve, reject) => {
      let stdout = ''
      const timer = setTimeout(() => {
        reject(new Error(`kube-apiserver harness not ready after ${readyTimeoutMs() / 1000}s`))
      }, readyTimeoutMs())
      child.stdout?.setEncoding('utf8')
      child.stdout?.on('data', (chunk: string) => {
        stdout += chunk
        if (stdout.split('\n').some((l) => l.trim() === 'ready')) {
          clearTimeout(timer)
          resolve()
        }
      })
      child.once('error', (err) => {
        clearTimeout(timer)
        reject(err)
      })
      // 'close' (not 'exit'): all stderr has been read by then.
      child.once('close', (code, signal) => {
        clearTimeout(timer)
        reject(new Error(`kube-apiserver harness exited before ready (code ${code}, signal ${signal})`))
      })
    })
  } catch (err) {
    await stopRunning(running)
    const msg = err instanceof Error ? err.message : String(err)
    throw new Error(`${msg}\n--- harness stderr (tail) ---\n${tail(stderrTail)}`, { cause: err })
  }

  // From here on nothing of ours should keep the test process alive; the
  // 'exit' hook terminates the harness if stop() was never called.
  child.unref()
  for (const s of [child.stdout, child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.()

  return running
}

/** What a running harness wrote to its OUTDIR. */
function clusterOf(running: Running): Omit<KubeApiServer, 'stop' | 'pid'> {
  const cluster = JSON.parse(fs.readFileSync(path.join(running.outDir, 'cluster.json'), 'utf8')) as {
    server: string
    ca: string
    tokens: Record<string, string>
  }
  return {
    url: cluster.server,
    ca: cluster.ca,
    tokens: cluster.tokens,
    kubeconfigPath: path.join(running.outDir, 'admin.kubeconfig'),
  }
}

/** Writes a kubeconfig for one bearer token against the given cluster; returns its path. */
export function writeKubeconfig(
  file: string,
  opts: { url: string; ca: string; token: string; user?: string },
): string {
  const user = opts.user ?? 'user'
  const cluster = opts.ca
    ? `    certificate-authority-data: ${Buffer.from(opts.ca).toString('base64')}\n`
    : `    insecure-skip-tls-verify: true\n`
  const text =
    `apiVersion: v1\nkind: Config\n` +
    `clusters:\n- name: e2e\n  cluster:\n    server: ${opts.url}\n${cluster}` +
    `users:\n- name: ${user}\n  user:\n    token: ${opts.token}\n` +
    `contexts:\n- name: ${user}@e2e\n  context:\n    cluster: e2e\n    user: ${user}\n` +
    `current-context: ${user}@e2e\n`
  fs.writeFileSync(file, text, { mode: 0o600 })
  return file
}

// ---------------------------------------------------------------------------

interface Running {
  child: ChildProcess
  outDir: string
  exited?: Promise<void>
  stopping?: Promise<void>
}

const live = new Set<Running>()

/**
 * Stops the harness: SIGTERM, and SIGKILL if it has not exited after STOP_TIMEOUT_MS. With `graceMs`, a second
 * SIGTERM after that long makes it clean up and exit at once, instead of waiting for the API server to finish
 * its open watches (up to 20 s).
 */
function stopRunning(r: Running, graceMs?: number): Promise<void> {
  r.stopping ??= (async () => {
    const { child } = r
    const exitedWithin = (ms: number) =>
      Promise.race([
        (r.exited ?? Promise.resolve()).then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref()),
      ])
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      if (graceMs !== undefined && !(await exitedWithin(graceMs))) child.kill('SIGTERM')
      if (!(await exitedWithin(STOP_TIMEOUT_MS))) {
        child.kill('SIGKILL')
        await exitedWithin(5_000)
      }
    }
    fs.rmSync(r.outDir, { recursive: true, force: true })
    live.delete(r)
  })()
  return r.stopping
}

let hooksRegistered = false

function registerExitHooks(): void {
  if (hooksRegistered) return
  hooksRegistered = true
  // Synchronous last resort: SIGTERM makes the harness shut down and remove its
  // own temp dir (it also gets SIGTERM via PR_SET_PDEATHSIG if we die hard).
  const killAll = () => {
    for (const r of live) {
      if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM')
      fs.rmSync(r.outDir, { recursive: true, force: true })
    }
    live.clear()
  }
  process.once('exit', killAll)
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = () => {
      killAll()
      process.removeListener(sig, onSignal)
      // Keep the default behaviour (terminate) unless someone else handles it.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig)
    }
    process.on(sig, onSignal)
  }
}

function tail(text: string, lines = 60): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n')
}

// --- INFRA_TEST_KUBECONFIG -------------------------------------------------

interface KubeconfigView {
  clusters?: {
    cluster?: { server?: string; 'certificate-authority-data'?: string; 'certificate-authority'?: string }
  }[]
  users?: { user?: { token?: string; tokenFile?: string } }[]
}

async function fromKubeconfig(kubeconfigPath: string): Promise<KubeApiServer> {
  // kubectl resolves the current context, relative paths and embedded data for us.
  const kubectl = process.env.KUBECTL ?? 'kubectl'
  const json = await new Promise<string>((resolve, reject) => {
    execFile(
      kubectl,
      ['config', 'view', '--raw', '--minify', '--flatten', '-o', 'json', '--kubeconfig', kubeconfigPath],
      (err, stdout, stderr) =>
        err ? reject(new Error(`${kubectl} config view: ${err.message}\n${stderr}`)) : resolve(stdout),
    )
  })
  const view = JSON.parse(json) as KubeconfigView
  const cluster = view.clusters?.[0]?.cluster
  const user = view.users?.[0]?.user
  if (!cluster?.server)
    throw new Error(`INFRA_TEST_KUBECONFIG=${kubeconfigPath}: current context has no cluster server`)
  let ca = ''
  if (cluster['certificate-authority-data']) {
    ca = Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8')
  } else if (cluster['certificate-authority']) {
    ca = fs.readFileSync(cluster['certificate-authority'], 'utf8')
  }
  let token = user?.token
  if (!token && user?.tokenFile) token = fs.readFileSync(user.tokenFile, 'utf8').trim()
  if (!token) {
    throw new Error(
      `INFRA_TEST_KUBECONFIG=${kubeconfigPath}: the current context's user must authenticate with a bearer token`,
    )
  }
  return {
    url: cluster.server,
    ca,
    tokens: { admin: token },
    kubeconfigPath,
    stop: async () => {},
  }
}
