// Test environment: a real kube-apiserver (the test harness's), a real Infra server on real Postgres, and
// helpers to drive both. One environment per test file.
import { startServer } from '@infra/server'
import {
  freePort,
  run,
  startTestServer,
  uniqueName,
  type ApiResponse,
  type RequestOptions,
  type Result,
  type TestDatabase,
} from '@infra/test-harness'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pino } from 'pino'
import { helm } from '@infra/test-harness/helm'
import { startKubeApiServer, writeKubeconfig, type KubeApiServer } from '@infra/test-harness/kube'
import { KubeConnection } from '../src/kube/connection.js'
import { startConnector, type ConnectorOptions, type RunningConnector } from '../src/connector.js'

export { eventually, freePort, run, type Result } from '@infra/test-harness'
export { helm } from '@infra/test-harness/helm'

export const kubectlBin = process.env.KUBECTL ?? 'kubectl'
export const chartDir = fileURLToPath(new URL('../helm/infra-connector', import.meta.url))

export interface InfraUser {
  id: string
  name: string
  key: string
}

export interface TestEnv {
  kube: KubeApiServer
  /** The connector-independent admin view of the cluster. */
  admin: KubeConnection
  infraUrl: string
  adminKey: string
  workDir: string
  /** Calls the Infra API as its admin (or `options.key`). */
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>
  kubectl(kubeconfig: string, ...args: string[]): Promise<Result>
  /** kubectl as the cluster admin; throws on a non-zero exit. */
  adminKubectl(...args: string[]): Promise<string>
  createUser(name: string): Promise<InfraUser>
  /** Renames a user behind the API's back, as an older server or a hand-edited database could have named it. */
  renameUserInDatabase(id: string, name: string): Promise<void>
  createGroup(name: string, members: string[]): Promise<string>
  grant(grant: { user?: string; group?: string; privilege: string; resource: string }): Promise<string>
  revoke(id: string): Promise<void>
  /** A token from the server for `user` at `destination`. */
  token(user: InfraUser, destination: string): Promise<string>
  /** An access key for a new user holding the Infra role `connector`. */
  connectorKey(): Promise<string>
  /** Renders the chart and applies it, returning a kubeconfig for its ServiceAccount (least privilege). */
  installChart(namespace: string, release?: string, extraValues?: string[]): Promise<string>
  startConnector(overrides?: Partial<ConnectorOptions>): Promise<RunningConnector>
  userKubeconfig(name: string, connector: RunningConnector, token: string): string
  close(): Promise<void>
}

/** Given a `database`, the Infra server uses it (e.g. one on a Postgres the test stops and starts). */
export async function startEnv(options: { database?: TestDatabase } = {}): Promise<TestEnv> {
  const workDir = mkdtempSync(join(tmpdir(), 'infra-connector-test-'))
  // Both start at once; the kube harness must start or the test fails (it never skips).
  const [kube, infra] = await Promise.all([
    startKubeApiServer(),
    startTestServer(
      (base) =>
        startServer({ ...base, logger: pino({ level: process.env.INFRA_TEST_LOG_LEVEL ?? 'silent' }) }),
      { database: options.database },
    ),
  ])
  const admin = await KubeConnection.load({ kubeconfig: kube.kubeconfigPath })
  const connectors: RunningConnector[] = []
  const kubectl = (kubeconfig: string, ...args: string[]) =>
    run(kubectlBin, ['--kubeconfig', kubeconfig, '--cache-dir', join(workDir, 'kube-cache'), ...args])
  const adminKubectl = async (...args: string[]) => {
    const result = await kubectl(kube.kubeconfigPath, ...args)
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`)
    return result.stdout
  }
  const createUser = async (name: string): Promise<InfraUser> => {
    const user = await infra.api<{ id: string }>('POST', '/api/users', { body: { name } })
    const key = await infra.api<{ accessKey: string }>('POST', '/api/access-keys', {
      body: { userID: user.id },
    })
    return { id: user.id, name, key: key.accessKey }
  }

  const env: TestEnv = {
    kube,
    admin,
    infraUrl: infra.url,
    adminKey: infra.adminKey,
    workDir,
    request: infra.request,
    kubectl,
    adminKubectl,
    createUser,
    renameUserInDatabase: async (id, name) => {
      await infra.server.ctx.db.user.update({ where: { id }, data: { name } })
    },
    createGroup: async (name, members) => {
      const group = await infra.api<{ id: string }>('POST', '/api/groups', { body: { name } })
      if (members.length > 0)
        await infra.api('PATCH', `/api/groups/${group.id}/users`, { body: { usersToAdd: members } })
      return group.id
    },
    grant: async (grant) => (await infra.api<{ id: string }>('POST', '/api/grants', { body: grant })).id,
    revoke: async (id) => {
      await infra.api('DELETE', `/api/grants/${id}`)
    },
    token: async (user, destination) =>
      (await infra.api<{ token: string }>('POST', '/api/tokens', { body: { destination }, key: user.key }))
        .token,
    connectorKey: async () => {
      const user = await createUser(uniqueName('connector'))
      await infra.api('POST', '/api/grants', {
        body: { user: user.id, privilege: 'connector', resource: 'infra' },
      })
      return user.key
    },
    installChart: async (namespace, release = 'infra', extraValues = []) => {
      await kubectl(kube.kubeconfigPath, 'create', 'namespace', namespace)
      const rendered = await helm(
        'template',
        release,
        chartDir,
        '--namespace',
        namespace,
        '--set',
        `server.url=${infra.url},name=chart-test,endpoint=127.0.0.1:443,accessKey.value=dummy`,
        ...extraValues.flatMap((value) => ['--set', value]),
      )
      if (rendered.code !== 0) throw new Error(`helm template: ${rendered.stderr}`)
      const applied = await run(
        kubectlBin,
        ['--kubeconfig', kube.kubeconfigPath, 'apply', '--server-side', '-f', '-'],
        { input: rendered.stdout },
      )
      if (applied.code !== 0) throw new Error(`kubectl apply: ${applied.stderr}`)
      const token = await adminKubectl(
        'create',
        'token',
        `${release}-infra-connector`,
        '-n',
        namespace,
        '--duration=2h',
      )
      return writeKubeconfig(join(workDir, `${namespace}-sa.kubeconfig`), {
        url: kube.url,
        ca: kube.ca,
        token: token.trim(),
        user: 'connector',
      })
    },
    startConnector: async (overrides = {}) => {
      const port = await freePort()
      const connector = await startConnector({
        server: infra.url,
        accessKey: overrides.accessKey ?? (await env.connectorKey()),
        name: 'test-cluster',
        endpoint: `127.0.0.1:${port}`,
        listen: `127.0.0.1:${port}`,
        healthListen: '127.0.0.1:0',
        kubeconfig: kube.kubeconfigPath,
        stateDir: join(workDir, 'state'),
        caSecret: 'infra-connector-ca',
        tlsSans: [],
        roles: [],
        skipTLSVerify: false,
        resyncMs: 60_000,
        heartbeatMs: 30_000,
        groupRefreshMs: 15_000,
        audit: 'best-effort',
        auditBuffer: 10_000,
        logLevel: 'silent',
        logger: pino({ level: process.env.INFRA_TEST_LOG_LEVEL ?? 'silent' }),
        ...overrides,
      })
      connectors.push(connector)
      return connector
    },
    userKubeconfig: (name, connector, token) =>
      writeKubeconfig(join(workDir, `${name}-${randomBytes(3).toString('hex')}.kubeconfig`), {
        url: connector.url,
        ca: connector.ca,
        token,
        user: name,
      }),
    close: async () => {
      await Promise.allSettled(connectors.map((connector) => connector.stop(0)))
      admin.close()
      await Promise.allSettled([kube.stop(), infra.close()])
      rmSync(workDir, { recursive: true, force: true })
    },
  }
  return env
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN
}
