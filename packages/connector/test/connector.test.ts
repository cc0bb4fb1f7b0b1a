// Registration and grants → RBAC against a real kube-apiserver and a real Infra server. The connector runs
// with the ServiceAccount of the rendered Helm chart, so the chart's ClusterRole is proven sufficient.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { X509Certificate, createHash } from 'node:crypto'
import type { RunningConnector } from '../src/connector.js'
import { KubeError } from '../src/kube/connection.js'
import { spawn } from 'node:child_process'
import https from 'node:https'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startTcpLoadBalancer } from '@infra/test-harness'
import { writeKubeconfig } from '@infra/test-harness/kube'
import { eventually, freePort, percentile, startEnv, type InfraUser, type TestEnv } from './env.js'

const RBAC = '/apis/rbac.authorization.k8s.io/v1'
const DESTINATION = 'test-cluster'

let env: TestEnv
let connector: RunningConnector
let saKubeconfig: string
let connectorKey: string
let alice: InfraUser
let bob: InfraUser
let developersId: string

async function binding(kind: 'ClusterRoleBinding' | 'RoleBinding', name: string, namespace?: string) {
  const path =
    kind === 'ClusterRoleBinding'
      ? `${RBAC}/clusterrolebindings/${encodeURIComponent(name)}`
      : `${RBAC}/namespaces/${namespace}/rolebindings/${encodeURIComponent(name)}`
  try {
    return await env.admin.request<any>('GET', path)
  } catch (error) {
    if (error instanceof KubeError && error.status === 404) return undefined
    throw error
  }
}

const subjectNames = (object: any): string[] =>
  (object?.subjects ?? []).map((subject: any) => `${subject.kind}:${subject.name}`).sort()

async function destination() {
  const response = await env.request<any>('GET', `/api/destinations?name=${DESTINATION}`)
  return response.body.items[0]
}

async function canI(user: string, ...args: string[]): Promise<string> {
  const result = await env.kubectl(env.kube.kubeconfigPath, 'auth', 'can-i', '--as', user, ...args)
  if (result.code > 1) throw new Error(result.stderr)
  return result.stdout.trim()
}

beforeAll(async () => {
  env = await startEnv()
  saKubeconfig = await env.installChart('infra-system')
  await env.adminKubectl('create', 'namespace', 'web')
  await env.adminKubectl('create', 'namespace', 'db')
  connectorKey = await env.connectorKey()
  connector = await env.startConnector({
    kubeconfig: saKubeconfig,
    accessKey: connectorKey,
    name: DESTINATION,
    caStore: 'secret',
    namespace: 'infra-system',
    caSecret: 'infra-infra-connector-ca',
    ownerClusterRole: 'infra-infra-connector',
  })
  alice = await env.createUser('alice@example.com')
  bob = await env.createUser('bob@example.com')
  developersId = await env.createGroup('developers', [bob.id])
})

afterAll(async () => {
  await env?.close()
})

describe('registration', () => {
  it('registers the cluster with its namespaces, eligible roles, CA-derived uniqueID and the proxy CA', async () => {
    const registered = await destination()
    expect(registered).toMatchObject({
      name: DESTINATION,
      kind: 'kubernetes',
      connected: true,
      connection: { url: connector.url.replace('https://', '') },
    })
    const caDer = new X509Certificate(env.kube.ca).raw
    expect(registered.uniqueID).toBe(createHash('sha256').update(caDer).digest('hex').slice(0, 32))
    expect(registered.connection.ca).toBe(connector.ca)
    expect(new X509Certificate(registered.connection.ca).ca).toBe(true)
    expect(registered.resources).toEqual(
      expect.arrayContaining(['default', 'kube-system', 'web', 'db', 'infra-system']),
    )
    // Defaults and the chart's labelled roles; never system:*.
    expect(registered.roles).toEqual(
      expect.arrayContaining(['cluster-admin', 'admin', 'edit', 'view', 'exec', 'logs', 'port-forward']),
    )
    expect(registered.roles.some((role: string) => role.startsWith('system:'))).toBe(false)
    expect(registered.roles).not.toContain('infra-infra-connector')
  })

  it('keeps the generated CA in its Secret', async () => {
    const secret = await env.admin.request<any>(
      'GET',
      '/api/v1/namespaces/infra-system/secrets/infra-infra-connector-ca',
    )
    expect(Buffer.from(secret.data['tls.crt'], 'base64').toString()).toBe(connector.ca)
  })

  it('follows namespace and ClusterRole changes by watching', async () => {
    await env.adminKubectl('create', 'namespace', 'added-later')
    await env.adminKubectl('create', 'clusterrole', 'labelled-role', '--verb=get', '--resource=pods')
    await env.adminKubectl('label', 'clusterrole', 'labelled-role', 'app.infrahq.com/include-role=true')
    await env.adminKubectl('create', 'clusterrole', 'system:sneaky', '--verb=get', '--resource=pods')
    await env.adminKubectl('label', 'clusterrole', 'system:sneaky', 'app.infrahq.com/include-role=true')
    await env.adminKubectl('create', 'clusterrole', 'unlabelled-role', '--verb=get', '--resource=pods')
    const updated = await eventually(async () => {
      const current = await destination()
      return current.resources.includes('added-later') && current.roles.includes('labelled-role') && current
    }, 5_000)
    expect(updated.roles).not.toContain('system:sneaky')
    expect(updated.roles).not.toContain('unlabelled-role')

    await env.adminKubectl('delete', 'namespace', 'added-later', '--wait=false')
    await env.adminKubectl('label', 'clusterrole', 'labelled-role', 'app.infrahq.com/include-role-')
    await eventually(async () => {
      const current = await destination()
      return !current.roles.includes('labelled-role') && current
    }, 5_000)
  })

  it('heartbeats so that lastSeen advances', async () => {
    const other = await env.startConnector({
      name: 'heartbeat-cluster',
      heartbeatMs: 200,
      stateDir: `${env.workDir}/heartbeat-state`,
    })
    const first = (await env.request<any>('GET', '/api/destinations?name=heartbeat-cluster')).body.items[0]
    const later = await eventually(async () => {
      const current = (await env.request<any>('GET', '/api/destinations?name=heartbeat-cluster')).body
        .items[0]
      return current.lastSeen > first.lastSeen && current
    }, 5_000)
    expect(later.connected).toBe(true)
    await other.stop(0)
  })

  it('refuses to take over a destination of the same name registered for another cluster', async () => {
    await env.request('POST', '/api/destinations', { body: { name: 'taken', uniqueID: 'another-cluster' } })
    await expect(env.startConnector({ name: 'taken' })).rejects.toThrow(/registered for another cluster/)
  })
})

describe('grants to RBAC', () => {
  it('binds a cluster grant with a ClusterRoleBinding and a namespace grant with a RoleBinding', async () => {
    const clusterGrant = await env.grant({ user: alice.id, privilege: 'view', resource: DESTINATION })
    const namespaceGrant = await env.grant({
      group: developersId,
      privilege: 'edit',
      resource: `${DESTINATION}.web`,
    })
    const crb = await eventually(() => binding('ClusterRoleBinding', `infra:${DESTINATION}:view`))
    expect(crb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' })
    expect(subjectNames(crb)).toEqual(['User:alice@example.com'])
    expect(crb.metadata.labels['app.kubernetes.io/managed-by']).toBe('infra-connector')
    const rb = await eventually(() => binding('RoleBinding', `infra:${DESTINATION}:edit`, 'web'))
    expect(subjectNames(rb)).toEqual(['Group:developers'])
    // Owned by the chart's ClusterRole: Kubernetes deletes them with it (helm uninstall).
    const owner = await env.admin.request<any>('GET', `${RBAC}/clusterroles/infra-infra-connector`)
    for (const made of [crb, rb]) {
      expect(made.metadata.ownerReferences).toEqual([
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          name: 'infra-infra-connector',
          uid: owner.metadata.uid,
        },
      ])
    }

    // Kubernetes enforces them: checked by the admin impersonating the users.
    expect(await canI('alice@example.com', 'list', 'pods', '-n', 'db')).toBe('yes')
    expect(await canI('alice@example.com', 'create', 'configmaps', '-n', 'web')).toBe('no')
    expect(
      await canI('bob@example.com', '--as-group', 'developers', 'create', 'configmaps', '-n', 'web'),
    ).toBe('yes')
    expect(
      await canI('bob@example.com', '--as-group', 'developers', 'create', 'configmaps', '-n', 'db'),
    ).toBe('no')

    await env.revoke(clusterGrant)
    await env.revoke(namespaceGrant)
    await eventually(
      async () => (await binding('ClusterRoleBinding', `infra:${DESTINATION}:view`)) === undefined,
    )
    await eventually(
      async () => (await binding('RoleBinding', `infra:${DESTINATION}:edit`, 'web')) === undefined,
    )
    expect(await canI('alice@example.com', 'list', 'pods', '-n', 'db')).toBe('no')
  })

  it('groups subjects of one role into one binding and updates it as grants change', async () => {
    const a = await env.grant({ user: alice.id, privilege: 'view', resource: `${DESTINATION}.db` })
    const b = await env.grant({ user: bob.id, privilege: 'view', resource: `${DESTINATION}.db` })
    const both = await eventually(async () => {
      const rb = await binding('RoleBinding', `infra:${DESTINATION}:view`, 'db')
      return subjectNames(rb).length === 2 && rb
    })
    expect(subjectNames(both)).toEqual(['User:alice@example.com', 'User:bob@example.com'])
    await env.revoke(a)
    await eventually(async () => {
      const rb = await binding('RoleBinding', `infra:${DESTINATION}:view`, 'db')
      return subjectNames(rb).join() === 'User:bob@example.com'
    })
    await env.revoke(b)
    await eventually(
      async () => (await binding('RoleBinding', `infra:${DESTINATION}:view`, 'db')) === undefined,
    )
  })

  it('binds nothing for connect, and reports unknown roles, namespaces and reserved names', async () => {
    // The API refuses system:* names; the connector skips them anyway, should one be in the database.
    const system = await env.createUser('kube-scheduler')
    await env.renameUserInDatabase(system.id, 'system:kube-scheduler')
    const grants = [
      await env.grant({ user: alice.id, privilege: 'connect', resource: DESTINATION }),
      await env.grant({ user: alice.id, privilege: 'no-such-role', resource: DESTINATION }),
      await env.grant({ user: alice.id, privilege: 'view', resource: `${DESTINATION}.no-such-namespace` }),
      await env.grant({ user: system.id, privilege: 'view', resource: DESTINATION }),
      await env.grant({ user: alice.id, privilege: 'system:sneaky', resource: DESTINATION }),
    ]
    const report = await eventually(async () => {
      const result = await connector.reconciled()
      return result.skipped.length >= 4 && result
    })
    const reasons = report.skipped.map(
      (entry) => `${entry.grant.privilege}@${entry.grant.resource}: ${entry.reason}`,
    )
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^no-such-role@.*no role "no-such-role"/),
        expect.stringMatching(
          /^view@test-cluster.no-such-namespace: .*namespace "no-such-namespace" does not exist/,
        ),
        expect.stringMatching(/^view@test-cluster: .*system:kube-scheduler.*reserved/),
        expect.stringMatching(/^system:sneaky@.*no role/),
      ]),
    )
    const managed = await env.admin.list<any>(`${RBAC}/clusterrolebindings`, {
      labelSelector: 'app.kubernetes.io/managed-by=infra-connector',
    })
    expect(managed.items).toEqual([])
    // A namespace created later makes its grant applicable.
    await env.adminKubectl('create', 'namespace', 'no-such-namespace')
    await eventually(() => binding('RoleBinding', `infra:${DESTINATION}:view`, 'no-such-namespace'), 5_000)
    for (const id of grants) await env.revoke(id)
    await eventually(
      async () =>
        (await binding('RoleBinding', `infra:${DESTINATION}:view`, 'no-such-namespace')) === undefined,
    )
  })

  it('never touches hand-made bindings, and restores its own when they are changed or deleted', async () => {
    await env.adminKubectl(
      'create',
      'rolebinding',
      'handmade',
      '--clusterrole=view',
      '--user=carol',
      '-n',
      'web',
    )
    await env.adminKubectl(
      'create',
      'rolebinding',
      `infra:${DESTINATION}:admin`,
      '--clusterrole=view',
      '--user=mallory',
      '-n',
      'web',
    )
    const grant = await env.grant({ user: alice.id, privilege: 'admin', resource: `${DESTINATION}.web` })
    const viewGrant = await env.grant({ user: alice.id, privilege: 'view', resource: `${DESTINATION}.web` })
    const report = await eventually(async () => {
      const result = await connector.reconciled()
      return result.problems.some((problem) => problem.includes(`infra:${DESTINATION}:admin`)) && result
    })
    expect(report.problems.join()).toMatch(/does not own/)
    const squatted = await binding('RoleBinding', `infra:${DESTINATION}:admin`, 'web')
    expect(subjectNames(squatted)).toEqual(['User:mallory'])

    const own = await eventually(() => binding('RoleBinding', `infra:${DESTINATION}:view`, 'web'))
    // Someone edits the subjects: put back.
    await env.admin.request('PUT', `${RBAC}/namespaces/web/rolebindings/infra:${DESTINATION}:view`, {
      body: { ...own, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'mallory' }] },
    })
    await eventually(
      async () =>
        subjectNames(await binding('RoleBinding', `infra:${DESTINATION}:view`, 'web')).join() ===
        'User:alice@example.com',
    )
    // Someone deletes it: recreated.
    await env.adminKubectl('delete', 'rolebinding', `infra:${DESTINATION}:view`, '-n', 'web')
    await eventually(() => binding('RoleBinding', `infra:${DESTINATION}:view`, 'web'))
    // Someone adds a managed-looking binding no grant justifies: removed.
    await env.adminKubectl(
      'create',
      'rolebinding',
      `infra:${DESTINATION}:edit`,
      '--clusterrole=edit',
      '--user=mallory',
      '-n',
      'web',
    )
    await env.adminKubectl(
      'label',
      'rolebinding',
      `infra:${DESTINATION}:edit`,
      '-n',
      'web',
      'app.kubernetes.io/managed-by=infra-connector',
      `app.infrahq.com/destination=${DESTINATION}`,
    )
    await eventually(
      async () => (await binding('RoleBinding', `infra:${DESTINATION}:edit`, 'web')) === undefined,
    )

    await env.revoke(grant)
    await env.revoke(viewGrant)
    await eventually(
      async () => (await binding('RoleBinding', `infra:${DESTINATION}:view`, 'web')) === undefined,
    )
    expect(await binding('RoleBinding', 'handmade', 'web')).toBeDefined()
    expect(subjectNames(await binding('RoleBinding', `infra:${DESTINATION}:admin`, 'web'))).toEqual([
      'User:mallory',
    ])
    await env.adminKubectl('delete', 'rolebinding', `infra:${DESTINATION}:admin`, '-n', 'web')
  })

  it('converges after a restart, removing bindings of grants deleted while it was down', async () => {
    const kept = await env.grant({ user: alice.id, privilege: 'view', resource: `${DESTINATION}.db` })
    const removed = await env.grant({ user: alice.id, privilege: 'edit', resource: `${DESTINATION}.db` })
    await eventually(() => binding('RoleBinding', `infra:${DESTINATION}:edit`, 'db'))
    await connector.stop(0)
    await env.revoke(removed)
    const added = await env.grant({ user: bob.id, privilege: 'admin', resource: `${DESTINATION}.db` })
    connector = await env.startConnector({
      kubeconfig: saKubeconfig,
      accessKey: connectorKey,
      name: DESTINATION,
      caStore: 'secret',
      namespace: 'infra-system',
      caSecret: 'infra-infra-connector-ca',
    })
    await eventually(
      async () => (await binding('RoleBinding', `infra:${DESTINATION}:edit`, 'db')) === undefined,
    )
    await eventually(() => binding('RoleBinding', `infra:${DESTINATION}:admin`, 'db'))
    expect(subjectNames(await binding('RoleBinding', `infra:${DESTINATION}:view`, 'db'))).toEqual([
      'User:alice@example.com',
    ])
    // Same CA after the restart (kept in the Secret).
    expect((await destination()).connection.ca).toBe(connector.ca)
    await env.revoke(kept)
    await env.revoke(added)
    await eventually(
      async () => (await binding('RoleBinding', `infra:${DESTINATION}:view`, 'db')) === undefined,
    )
  })

  it('converges after the API server was unreachable (connections reset, watches lost)', async () => {
    const forwarder = await startTcpLoadBalancer([
      { host: '127.0.0.1', port: Number(new URL(env.kube.url).port) },
    ])
    const kubeconfig = writeKubeconfig(join(env.workDir, 'forwarded.kubeconfig'), {
      url: `https://127.0.0.1:${forwarder.port}`,
      ca: env.kube.ca,
      token: env.kube.tokens.admin!,
      user: 'admin',
    })
    const outage = await env.startConnector({
      kubeconfig,
      name: 'outage-cluster',
      stateDir: join(env.workDir, 'outage-state'),
    })
    try {
      const before = await env.grant({ user: alice.id, privilege: 'view', resource: 'outage-cluster.web' })
      await eventually(() => binding('RoleBinding', 'infra:outage-cluster:view', 'web'))
      forwarder.cut()
      // While the API server is away: one grant removed, one added, and a hand-made change to its binding.
      await env.revoke(before)
      const during = await env.grant({ user: bob.id, privilege: 'edit', resource: 'outage-cluster.db' })
      await new Promise((resolve) => setTimeout(resolve, 1_000))
      forwarder.restore()
      await eventually(
        async () => (await binding('RoleBinding', 'infra:outage-cluster:view', 'web')) === undefined,
        20_000,
      )
      await eventually(() => binding('RoleBinding', 'infra:outage-cluster:edit', 'db'), 20_000)
      // And it keeps following changes afterwards.
      await env.revoke(during)
      await eventually(
        async () => (await binding('RoleBinding', 'infra:outage-cluster:edit', 'db')) === undefined,
        5_000,
      )
    } finally {
      await outage.stop(0)
      await forwarder.close()
    }
  })

  it('propagates grant changes to the cluster in well under a second', async () => {
    const created: number[] = []
    const deleted: number[] = []
    // Watch the binding from the test's side so the measurement includes nothing but the propagation.
    for (let i = 0; i < 10; i++) {
      let start = performance.now()
      const id = await env.grant({ user: alice.id, privilege: 'edit', resource: `${DESTINATION}.db` })
      await eventually(() => binding('RoleBinding', `infra:${DESTINATION}:edit`, 'db'), 5_000, 2)
      created.push(performance.now() - start)
      start = performance.now()
      await env.revoke(id)
      await eventually(
        async () => (await binding('RoleBinding', `infra:${DESTINATION}:edit`, 'db')) === undefined,
        5_000,
        2,
      )
      deleted.push(performance.now() - start)
    }
    const summary = {
      createP50: Math.round(percentile(created, 50)),
      createMax: Math.round(Math.max(...created)),
      deleteP50: Math.round(percentile(deleted, 50)),
      deleteMax: Math.round(Math.max(...deleted)),
    }
    console.log(`grant propagation (ms, API call to binding present/gone): ${JSON.stringify(summary)}`)
    expect(summary.createMax).toBeLessThan(1_000)
    expect(summary.deleteMax).toBeLessThan(1_000)
  })

  it('runs as the infra-connector command: env configuration, JSON logs, readiness, SIGTERM', async () => {
    const healthPort = await freePort()
    const port = await freePort()
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('../src/bin/infra-connector.ts', import.meta.url))],
      {
        env: {
          ...process.env,
          INFRA_SERVER: env.infraUrl,
          INFRA_ACCESS_KEY: await env.connectorKey(),
          INFRA_CONNECTOR_NAME: 'command-cluster',
          INFRA_CONNECTOR_ENDPOINT: `127.0.0.1:${port}`,
          INFRA_CONNECTOR_LISTEN: `127.0.0.1:${port}`,
          INFRA_CONNECTOR_HEALTH_LISTEN: `127.0.0.1:${healthPort}`,
          INFRA_CONNECTOR_STATE_DIR: join(env.workDir, 'command-state'),
          KUBECONFIG: env.kube.kubeconfigPath,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    try {
      await eventually(
        async () => {
          const response = await fetch(`http://127.0.0.1:${healthPort}/readyz`).catch(() => undefined)
          return response?.status === 200
        },
        30_000,
        100,
      )
      const registered = (await env.request<any>('GET', '/api/destinations?name=command-cluster')).body
        .items[0]
      expect(registered.connection.url).toBe(`127.0.0.1:${port}`)
      // Audit lines are written in batches, yet reach the log within about a second when traffic stops.
      const status = await new Promise<number | undefined>((resolve) =>
        https
          .get(
            { host: '127.0.0.1', port, path: '/api/v1/namespaces', rejectUnauthorized: false },
            (response) => {
              response.resume()
              resolve(response.statusCode)
            },
          )
          .on('error', () => resolve(undefined)),
      )
      expect(status).toBe(401)
      await eventually(() => stdout.includes('"proxied request"'), 3_000)
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    } finally {
      child.kill('SIGKILL')
    }
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(lines.map((line) => line.msg)).toEqual(
      expect.arrayContaining(['connector started', 'shutting down']),
    )
    expect(stderr).not.toMatch(/Error/)
  })

  it('is ready and healthy on its health endpoints', async () => {
    expect(connector.healthUrl).toBeDefined()
    const ready = await fetch(`${connector.healthUrl}/readyz`)
    expect(ready.status).toBe(200)
    expect((await fetch(`${connector.healthUrl}/healthz`)).status).toBe(200)
  })
})
