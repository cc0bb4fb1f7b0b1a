// helm v3.17.2, the real client, for chart tests: helm/helm.sh fetches it once into a cache (HELM names another).
import { execFileSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { fileURLToPath } from 'node:url'
import { run, type Result } from './processes.js'

const helmScript = fileURLToPath(new URL('../helm/helm.sh', import.meta.url))

let helmPath: Promise<string> | undefined

/** The helm binary's path, fetched once per process (cached on disk by helm.sh). */
function helmBinary(): Promise<string> {
  helmPath ??= run('bash', [helmScript], { timeoutMs: 300_000 }).then((result) => {
    if (result.code !== 0) throw new Error(`helm/helm.sh failed: ${result.stderr}`)
    return result.stdout.trim()
  })
  return helmPath
}

/** For a jest globalSetup: fetches helm (or finds it cached) before any test, so that no test waits for it. */
export function fetchHelmBeforeTests(): void {
  execFileSync('bash', [helmScript], { stdio: ['ignore', 'ignore', 'inherit'] })
}

/** Runs helm to its end, with a throwaway cache (charts come from the repository, never a chart registry). */
export async function helm(...args: string[]): Promise<Result> {
  return run(await helmBinary(), args, { env: { ...process.env, HELM_CACHE_HOME: tmpdir() } })
}

export interface DryRunInstall {
  /** The objects helm would install, as YAML documents. */
  manifest: string
  /** What NOTES.txt says after this install. */
  notes: string
}

/**
 * `helm install --dry-run=server` of a chart against a cluster (lookup included), its objects then applied with
 * `kubectl apply --dry-run=server`, so that the API server validates each; throws with what either said.
 */
export async function dryRunInstall(options: {
  chart: string
  kubeconfig: string
  namespace: string
  values: readonly string[]
  release?: string
}): Promise<DryRunInstall> {
  const { chart, kubeconfig, namespace, values } = options
  const installed = await helm(
    'install',
    options.release ?? 'infra',
    chart,
    '--kubeconfig',
    kubeconfig,
    '--namespace',
    namespace,
    '--dry-run=server',
    '-o',
    'json',
    ...values.flatMap((value) => ['--set', value]),
  )
  if (installed.code !== 0 || installed.stderr !== '')
    throw new Error(`helm install --dry-run=server ${values.join(' ')}: ${installed.stderr}`)
  const release = JSON.parse(installed.stdout) as { manifest: string; info: { notes: string } }
  const applied = await run(
    process.env.KUBECTL ?? 'kubectl',
    ['--kubeconfig', kubeconfig, '-n', namespace, 'apply', '--dry-run=server', '-o', 'name', '-f', '-'],
    { input: release.manifest },
  )
  if (applied.code !== 0 || applied.stderr !== '')
    throw new Error(`kubectl apply --dry-run=server (${values.join(' ')}): ${applied.stderr}`)
  return { manifest: release.manifest, notes: release.info.notes }
}
