// The audit log of Kubernetes traffic, driven as users would: the built server on Postgres, the built connector
// (reaching the server through a TCP proxy the test can cut), the real kube-apiserver with its own audit log on,
// and kubectl. Each request through the connector is an event on the server, with who decided its answer and the
// Audit-ID the kube-apiserver logged for it; events made while the server cannot be reached, or before the
// connector restarts, arrive once each; what does not fit the connector's buffer is counted.
import { InfraClient } from '@infra/client-sdk'
import type { AuditEvent } from '@infra/api-types'
import { eventually, startTcpLoadBalancer, type TcpLoadBalancer } from '@infra/test-harness'
import { startKubeApiServer, type KubeApiServer } from '@infra/test-harness/kube'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ALICE, ClusterSystem } from './faults/cluster.js'
import { collectLogLines, kubeRequest, type KubeCredentials } from './system.js'

const CONTEXT = 'infra:dev.web'
const CONFIGMAPS = '/api/v1/namespaces/web/configmaps'

const auditDir = mkdtempSync(join(tmpdir(), 'infra-e2e-kube-audit-'))
const kubeAuditLog = join(auditDir, 'audit.log')
let system: ClusterSystem<KubeApiServer>
/** Between the connector and the server. */
let partition: TcpLoadBalancer
let infra: InfraClient
let credentials: KubeCredentials

/** One line of the kube-apiserver's audit log (the fields used here). */
interface KubeAuditLine {
  auditID: string
  stage: string
  verb: string
  user: { username: string }
  impersonatedUser?: { username: string }
  objectRef?: { resource?: string; namespace?: string }
  responseStatus?: { code?: number }
}

function kubeAuditLines(): KubeAuditLine[] {
  return readFileSync(kubeAuditLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as KubeAuditLine)
}

/** Every event of the types on the server, oldest first (all pages). */
async function serverEvents(...types: AuditEvent['type'][]): Promise<AuditEvent[]> {
  const events: AuditEvent[] = []
  let after: string | undefined
  for (;;) {
    const page = await infra.call('listAuditEvents', {
      query: { type: types, limit: 1000, ...(after ? { after } : {}) },
    })
    events.push(...page.items)
    if (!page.next) return events
    after = page.next
  }
}

/** The server's events with these ids, once all of them are there (each id may show once at most). */
async function delivered(ids: readonly string[], what: string): Promise<AuditEvent[]> {
  const wanted = new Set(ids)
  return eventually(
    async () => {
      const found = (await serverEvents('kube.request')).filter((event) => wanted.has(event.id))
      return found.length >= wanted.size ? found : undefined
    },
    30_000,
    200,
    what,
  )
}

/** `count` GETs through the connector as alice; resolves to the Audit-ID of each (the kube-apiserver's answer). */
async function requests(count: number): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < count; i++) {
    const answer = await kubeRequest(credentials, CONFIGMAPS)
    expect(answer.status).toBe(200)
    ids.push(String(answer.headers['audit-id']))
  }
  return ids
}

const metric = async (name: string) => {
  const text = await (await fetch(`${system.connector.healthUrl}/metrics`)).text()
  return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1])
}

beforeAll(async () => {
  const policy = join(auditDir, 'policy.yaml')
  writeFileSync(policy, 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n')
  system = await ClusterSystem.start({
    startKube: () =>
      startKubeApiServer({ args: [`--audit-policy-file=${policy}`, `--audit-log-path=${kubeAuditLog}`] }),
    namespaces: ['web'],
    serverUrl: async (server) => {
      partition = await startTcpLoadBalancer([{ host: '127.0.0.1', port: server.port }])
      return `https://127.0.0.1:${partition.port}`
    },
  })
  infra = new InfraClient({
    server: `https://127.0.0.1:${system.server.port}`,
    accessKey: system.server.adminKey,
    trustedCertificate: readFileSync(system.server.certificateFile, 'utf8'),
  })
  await system.admin.must('grants', 'add', ALICE, 'dev.web', '--role', 'edit')
  await eventually(() => system.aliceCan('get', 'configmaps'), 15_000, 50, 'kubectl to work')
  credentials = await system.alice.kubeCredentials(CONTEXT)
})

afterAll(async () => {
  await infra?.close()
  await system?.stop()
  await partition?.close()
  rmSync(auditDir, { recursive: true, force: true })
})

describe('the audit log of Kubernetes requests', () => {
  it('records the grant that opened the cluster and a failed login in the same log', async () => {
    const [grant] = (await serverEvents('grant.created')).filter(
      (event) => 'resource' in event.details && event.details.resource === 'dev.web',
    )
    expect(grant).toMatchObject({
      outcome: 'success',
      actor: { kind: 'user' },
      details: { privilege: 'edit', resource: 'dev.web' },
    })
    await expect(
      infra.call('login', { body: { passwordCredentials: { name: ALICE, password: 'not her password' } } }),
    ).rejects.toMatchObject({ status: 401 })
    const [failure] = (await serverEvents('login')).filter((event) => event.outcome === 'failure')
    expect(failure).toMatchObject({ actor: { name: ALICE }, details: { method: 'password' } })
    expect(failure?.reason).toBeTruthy()
  })

  it('records kubectl get with the Audit-ID the kube-apiserver logged for it', async () => {
    const started = new Date().toISOString()
    expect((await system.alice.kubectl('--context', CONTEXT, 'get', 'configmaps', '-n', 'web')).code).toBe(0)
    const event = await eventually(
      async () =>
        (await serverEvents('kube.request')).find(
          (candidate) =>
            candidate.type === 'kube.request' &&
            candidate.occurredAt >= started &&
            candidate.details.resource === 'configmaps' &&
            candidate.details.verb === 'list',
        ),
      10_000,
      100,
      'the kube.request event of kubectl get',
    )
    expect(event).toMatchObject({
      outcome: 'success',
      actor: { kind: 'user', name: ALICE },
      destination: 'dev',
      details: { apiGroup: '', namespace: 'web', status: 200, decidedBy: 'api-server' },
    })
    expect(event.userAgent).toMatch(/^kubectl\//)
    // The cluster's own audit log has the same request under the same id, as the impersonated user.
    const line = await eventually(
      () =>
        kubeAuditLines().find(
          (candidate) => candidate.auditID === event.id && candidate.stage === 'ResponseComplete',
        ),
      5_000,
      50,
      'the kube-apiserver to log the request',
    )
    expect(line).toMatchObject({
      verb: 'list',
      impersonatedUser: { username: ALICE },
      objectRef: { resource: 'configmaps', namespace: 'web' },
      responseStatus: { code: 200 },
    })
    // Discovery (kubectl's /api and /apis) is only counted.
    const discovery = await serverEvents('kube.discovery')
    expect(discovery.every((counted) => counted.actor.name === ALICE)).toBe(true)
    expect(
      (await serverEvents('kube.request')).some(
        (request) =>
          request.type === 'kube.request' &&
          ['/api', '/apis'].includes(request.details.requestUri.split('?')[0]!),
      ),
    ).toBe(false)
  })

  it('records a refusal by the API server (403) and by the proxy, saying who decided', async () => {
    // Alice may edit in web only: listing namespaces is the API server's 403.
    const denied = await system.alice.kubectl('--context', CONTEXT, 'get', 'namespaces')
    expect(denied.stderr).toMatch(/forbidden/)
    const refused = await kubeRequest({ ...credentials, token: 'not-a-token' }, CONFIGMAPS)
    expect(refused.status).toBe(401)
    const failures = await eventually(
      async () => {
        const found = (await serverEvents('kube.request')).filter((event) => event.outcome === 'failure')
        const byServer = found.find(
          (event) => event.type === 'kube.request' && event.details.resource === 'namespaces',
        )
        const byProxy = found.find(
          (event) => event.type === 'kube.request' && event.details.decidedBy === 'proxy',
        )
        return byServer && byProxy ? { byServer, byProxy } : undefined
      },
      10_000,
      100,
      'both refusals',
    )
    expect(failures.byServer).toMatchObject({
      actor: { name: ALICE },
      details: { verb: 'list', status: 403, decidedBy: 'api-server', statusReason: 'Forbidden' },
    })
    expect(failures.byServer.reason).toMatch(/cannot list resource "namespaces"/)
    expect(failures.byProxy).toMatchObject({
      actor: { kind: 'anonymous' },
      details: { status: 401, decidedBy: 'proxy' },
    })
  })

  it('records kubectl exec (refused by the API server here: the harness has no node to run it)', async () => {
    await system.kubeAdmin(
      'run',
      'app',
      '--image=registry.k8s.io/pause:3.10.1',
      '-n',
      'web',
      '--restart=Never',
    )
    const exec = await system.alice.kubectl('--context', CONTEXT, 'exec', 'app', '--', 'true')
    expect(exec.code).not.toBe(0)
    const event = await eventually(
      async () =>
        (await serverEvents('kube.request')).find(
          (candidate) => candidate.type === 'kube.request' && candidate.details.subresource === 'exec',
        ),
      10_000,
      100,
      'the exec request',
    )
    expect(event).toMatchObject({
      actor: { name: ALICE },
      details: { resource: 'pods', name: 'app', namespace: 'web', decidedBy: 'api-server' },
    })
    expect(kubeAuditLines().some((line) => line.auditID === event.id)).toBe(true)
  })

  it('holds the events made while the server is unreachable and delivers each once', async () => {
    partition.cut()
    const ids = await requests(20)
    await eventually(
      async () => (await metric('infra_connector_audit_events_buffered')) >= 20,
      5_000,
      100,
      'events held',
    )
    partition.restore()
    const events = await delivered(ids, 'the events held during the outage')
    expect(events.map((event) => event.id).sort()).toEqual([...ids].sort())
    expect(await metric('infra_connector_audit_events_dropped_total')).toBe(0)
  })

  it('delivers the events of the last requests when the connector restarts, once each', async () => {
    const ids = await requests(10)
    await system.connector.stop()
    await system.connector.startAgain()
    const events = await delivered(ids, 'the events from before the restart')
    expect(events).toHaveLength(10)
    credentials = await system.alice.kubeCredentials(CONTEXT)
    const after = await requests(3)
    expect(await delivered(after, 'the events after the restart')).toHaveLength(3)
  })

  it('counts the events it drops when its buffer is full, and fails closed when asked to', async () => {
    await system.connector.stop()
    await system.connector.startAgain(['--audit-buffer', '5'])
    const log = collectLogLines(system.connector.program!)
    partition.cut()
    await requests(12)
    expect(await metric('infra_connector_audit_events_dropped_total')).toBe(7)
    // Its log is written in batches, at most a second late.
    await eventually(
      () => log.some((line) => line.msg.startsWith('the audit buffer is full')),
      5_000,
      50,
      'the connector to log that it drops events',
    )
    partition.restore()
    await eventually(
      async () => (await metric('infra_connector_audit_events_buffered')) === 0,
      15_000,
      100,
      'the buffer sent',
    )

    await system.connector.stop()
    await system.connector.startAgain(['--audit', 'fail-closed'])
    partition.cut()
    const refused = await eventually(
      async () => {
        const answer = await kubeRequest(credentials, CONFIGMAPS)
        return answer.status === 503 ? answer : undefined
      },
      15_000,
      100,
      'the connector to refuse requests it cannot record',
    )
    expect(refused.body).toMatch(/cannot record audit events/)
    partition.restore()
    await eventually(
      async () => (await kubeRequest(credentials, CONFIGMAPS)).status === 200,
      15_000,
      100,
      'requests served again',
    )
  })
})
