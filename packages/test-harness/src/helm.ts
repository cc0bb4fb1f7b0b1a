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
