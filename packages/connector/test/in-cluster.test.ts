// The connector as the Helm chart runs it in a pod: the container's own arguments and environment, no
// kubeconfig, the API server from KUBERNETES_SERVICE_HOST/PORT, and the service account's token, CA and
// namespace read from /var/run/secrets/kubernetes.io/serviceaccount. The test cluster has no kubelet to run
// the pod, so the command runs in a private mount namespace (unshare) where those files are mounted, as the
// kubelet would mount them.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeKubeconfig } from '@infra/test-harness/kube'
import { eventually, freePort, startEnv, type TestEnv } from './env.js'

const NAMESPACE = 'infra-pod'
const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'

interface Container {
  args: string[]
  env: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[]
}

// Mounting needs root and unshare; without them this says so loudly rather than passing silently.
const canMount =
  process.getuid?.() === 0 && spawnSync('unshare', ['--mount', 'true'], { stdio: 'ignore' }).status === 0
if (!canMount) {
  console.warn('SKIPPED in-cluster test: needs root and `unshare --mount` to mount the service account files')
}

let env: TestEnv

beforeAll(async () => {
  if (canMount) env = await startEnv()
})

afterAll(async () => {
  await env?.close()
})

;(canMount ? describe : describe.skip)('running in a pod', () => {
  it('starts from the chart’s container spec with the mounted service account, registers, and proxies', async () => {
    const port = await freePort()
    const healthPort = await freePort()
    const accessKey = await env.connectorKey()
    await env.installChart(NAMESPACE, 'infra', [
      `containerPort=${port}`,
      `healthPort=${healthPort}`,
      `accessKey.value=${accessKey}`,
    ])
    const deployment = JSON.parse(
      await env.adminKubectl('get', 'deployment', 'infra-infra-connector', '-n', NAMESPACE, '-o', 'json'),
    ) as { spec: { template: { spec: { containers: Container[]; serviceAccountName: string } } } }
    const pod = deployment.spec.template.spec
    const container = pod.containers[0]!

    // What the kubelet would provide: the projected service account files and the container's environment.
    const mounted = join(env.workDir, 'serviceaccount')
    mkdirSync(mounted)
    const token = await env.adminKubectl('create', 'token', pod.serviceAccountName, '-n', NAMESPACE)
    writeFileSync(join(mounted, 'token'), token.trim())
    writeFileSync(join(mounted, 'ca.crt'), env.kube.ca)
    writeFileSync(join(mounted, 'namespace'), NAMESPACE)
    const containerEnv: Record<string, string> = {}
    for (const variable of container.env) {
      if (variable.name === 'INFRA_ACCESS_KEY') containerEnv[variable.name] = accessKey
      else if (variable.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace')
        containerEnv[variable.name] = NAMESPACE
      else if (variable.name === 'HOME') containerEnv.HOME = env.workDir
      else containerEnv[variable.name] = variable.value ?? ''
    }
    const apiServer = new URL(env.kube.url)
    const { KUBECONFIG: _unused, ...inherited } = process.env
    const child = spawn(
      'unshare',
      [
        '--mount',
        'sh',
        '-c',
        // A private /run (so /var/run) holds the service account files, visible to this process only.
        `mount -t tmpfs tmpfs /var/run && mkdir -p ${SERVICE_ACCOUNT_DIR} && cp "$0"/* ${SERVICE_ACCOUNT_DIR}/ && exec "$@"`,
        mounted,
        process.execPath,
        '--import',
        'tsx',
        fileURLToPath(new URL('../src/bin/infra-connector.ts', import.meta.url)),
        ...container.args,
      ],
      {
        env: {
          ...inherited,
          ...containerEnv,
          KUBERNETES_SERVICE_HOST: apiServer.hostname,
          KUBERNETES_SERVICE_PORT: apiServer.port,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    try {
      await eventually(
        async () => (await fetch(`http://127.0.0.1:${healthPort}/readyz`).catch(() => undefined))?.ok,
        60_000,
        100,
      ).catch((error: unknown) => {
        throw new Error(`the connector did not become ready: ${String(error)}\n${output}`)
      })

      // It registered under the chart's name, and kept its generated CA in the chart's Secret in its namespace.
      const registered = (await env.request<any>('GET', '/api/destinations?name=chart-test')).body.items[0]
      expect(registered).toMatchObject({ kind: 'kubernetes', connection: { url: '127.0.0.1:443' } })
      const secret = JSON.parse(
        await env.adminKubectl('get', 'secret', 'infra-infra-connector-ca', '-n', NAMESPACE, '-o', 'json'),
      ) as { data: Record<string, string> }
      const stored = Object.values(secret.data).map((value) => Buffer.from(value, 'base64').toString().trim())
      expect(stored).toContain(registered.connection.ca.trim())
      expect(stored.some((value) => value.includes('PRIVATE KEY'))).toBe(true)

      // kubectl through it: the service account's token (from the file) authorizes the impersonation.
      const user = await env.createUser('pod-user@example.com')
      await env.grant({ user: user.id, privilege: 'view', resource: 'chart-test' })
      const kubeconfig = writeKubeconfig(join(env.workDir, 'pod-user.kubeconfig'), {
        url: `https://127.0.0.1:${port}`,
        ca: registered.connection.ca,
        token: await env.token(user, 'chart-test'),
      })
      const listed = await eventually(async () => {
        const result = await env.kubectl(kubeconfig, 'get', 'namespaces', '-o', 'name')
        return result.code === 0 && result.stdout
      }, 15_000)
      expect(listed).toContain(`namespace/${NAMESPACE}`)

      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    } finally {
      child.kill('SIGKILL')
    }
  })
})
