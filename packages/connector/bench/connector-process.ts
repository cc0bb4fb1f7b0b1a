import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { imageNodeFlags } from '@infra/test-harness/bench'
import type { TestEnv } from '../test/env.js'

const connectorBin = fileURLToPath(new URL('../dist/bin/infra-connector.js', import.meta.url))

export interface ConnectorProcess {
  child: ChildProcess
  pid: number
  stop(): void
}

/**
 * The built `infra-connector` as its own process, ready to proxy, with the Node flags of its image
 * (`BENCH_CONNECTOR_NODE_ARGS` instead, when set, e.g. to try others), for destination `bench` (or `name`), with
 * `args` besides.
 */
export async function startConnectorProcess(
  env: TestEnv,
  accessKey: string,
  ports: { proxy: number; health: number },
  cluster: { kubeconfig: string; namespace: string },
  { name = 'bench', args = [] }: { name?: string; args?: string[] } = {},
): Promise<ConnectorProcess> {
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_CONNECTOR_NODE_ARGS?.split(' ').filter(Boolean) ??
        imageNodeFlags('infra-connector')),
      connectorBin,
      ...['--server', env.infraUrl, '--name', name],
      ...['--endpoint', `127.0.0.1:${ports.proxy}`, '--listen', `127.0.0.1:${ports.proxy}`],
      ...['--health-listen', `127.0.0.1:${ports.health}`],
      ...['--kubeconfig', cluster.kubeconfig, '--namespace', cluster.namespace],
      ...['--state-dir', join(env.workDir, `${name}-state`)],
      ...args,
    ],
    // Audit lines are written as in production (info level); the pipe is drained, not kept.
    { env: { ...process.env, INFRA_ACCESS_KEY: accessKey }, stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let stderr = ''
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-8000)))
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    const ready = await fetch(`http://127.0.0.1:${ports.health}/readyz`).then(
      (response) => response.status === 200,
      () => false, // not listening yet
    )
    if (ready && child.pid !== undefined) return { child, pid: child.pid, stop: () => child.kill('SIGTERM') }
    if (child.exitCode !== null) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  child.kill('SIGKILL')
  throw new Error(`connector not ready: ${stderr}`)
}
