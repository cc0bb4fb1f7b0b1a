// Two server replicas on one Postgres behind a TCP load balancer, with the connector and an engineer's agent
// long-polling through it; each replica is killed (SIGKILL) in turn. What users must be able to count on: the
// long polls move to the replica left, a grant change still reaches the cluster within a second, no binding is
// doubled or lost, and nothing the servers acknowledged is lost.
import {
  createTestDatabase,
  eventually,
  freePort,
  randomAccessKey,
  run,
  startTcpLoadBalancer,
  uniqueName,
  type TcpLoadBalancer,
  type TestDatabase,
} from '@infra/test-harness'
import { createAuthority } from '@infra/test-harness/certificates'
import { startKubeApiServer, type KubeApiServer } from '@infra/test-harness/kube'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { X509Certificate } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { recordResults, table } from '../results.js'
import { boundSubjects, Person, Program, SERVER_BIN, Connector } from '../system.js'
import { Answers, grantedSubjects, kubectlOutcome, loadClient, medianAndMax, sleep } from './api-load.js'

const RESULTS = join(import.meta.dirname, 'results.md')
const DESTINATION = 'dev'
const ENGINEER = 'alice@example.com'
/** Grant changes timed in each phase. */
const CHANGES = 5
const PHASES = ['before the kills', 'from the first kill', 'from the second kill'] as const
type Phase = (typeof PHASES)[number]

let database: TestDatabase
let kube: KubeApiServer
let balancer: TcpLoadBalancer
let connector: Connector
const replicas: Program[] = []
const ports: number[] = []
let serverAddress: string
let serverCa: string
const adminKey = randomAccessKey()
const rootKey = randomAccessKey()
const admin = new Person('admin')
const alice = new Person('alice')
const tls = join(admin.dir, 'tls')

/** Replica `index`, on its port, with the certificate and the root key every replica has. */
async function startReplica(index: number): Promise<void> {
  const replica = Program.start(
    `infra-server ${index}`,
    SERVER_BIN,
    [
      ...['--port', String(ports[index]), '--data-dir', join(admin.dir, `server-${index}`)],
      ...['--tls-cert', join(tls, 'cert.pem'), '--tls-key', join(tls, 'key.pem'), '--rate-limit', '1000000'],
    ],
    { ...process.env, DATABASE_URL: database.url, INFRA_ADMIN_ACCESS_KEY: adminKey, INFRA_ROOT_KEY: rootKey },
  )
  replicas[index] = replica
  await replica.waitForOutput(/infra server listening/)
}

beforeAll(async () => {
  // The load balancer passes TLS through, so every replica serves the same certificate; clients check it as
  // usual: the connector by the CA, the CLI by the certificate's fingerprint.
  const authority = await createAuthority()
  const certificate = await authority.issue({ dns: ['localhost'], ip: ['127.0.0.1'] })
  mkdirSync(tls)
  writeFileSync(join(tls, 'cert.pem'), certificate.certificate)
  writeFileSync(join(tls, 'key.pem'), certificate.key)
  writeFileSync(join(tls, 'ca.pem'), authority.certificate)
  serverCa = authority.certificate
  const trust = ['--tls-trusted-fingerprint', new X509Certificate(certificate.certificate).fingerprint256]
  ports.push(await freePort(), await freePort())
  balancer = await startTcpLoadBalancer(ports.map((port) => ({ host: '127.0.0.1', port })))
  serverAddress = `127.0.0.1:${balancer.port}`

  const cluster = (async () => {
    kube = await startKubeApiServer()
    for (const namespace of ['web', 'other'])
      await run('kubectl', ['--kubeconfig', kube.kubeconfigPath, 'create', 'namespace', namespace])
  })()
  database = await createTestDatabase()
  // The first replica makes the database's tables and the admin; until the second is up, the load balancer
  // passes over it.
  await startReplica(0)
  const second = startReplica(1)
  await admin.must('login', serverAddress, '--key', adminKey, '--no-agent', ...trust)
  await admin.must('users', 'add', ENGINEER)
  const [connectorKey, aliceKey] = await Promise.all([
    admin.must('keys', 'add', 'connector'),
    admin.must('keys', 'add', ENGINEER),
    admin.must('grants', 'add', ENGINEER, `${DESTINATION}.web`, '--role', 'edit', '--force'),
  ])
  await cluster
  ;[connector] = await Promise.all([
    Connector.start({
      name: DESTINATION,
      server: `https://${serverAddress}`,
      serverCa: join(tls, 'ca.pem'),
      accessKey: connectorKey,
      kubeconfig: kube.kubeconfigPath,
      dir: admin.dir,
    }),
    alice.must('login', serverAddress, '--key', aliceKey, ...trust),
    second,
  ])
}, 120_000)

afterAll(async () => {
  await alice.infra('logout').catch(() => undefined)
  await Promise.allSettled([connector?.stop(), ...replicas.map((replica) => replica.stop())])
  await Promise.allSettled([balancer?.close(), kube?.stop(), database?.drop()])
  for (const person of [admin, alice]) person.cleanup()
})

const kubectlWorks = async () =>
  kubectlOutcome(
    await alice.kubectl('--context', `infra:${DESTINATION}.web`, '--request-timeout=5s', 'get', 'configmaps'),
  ) === 'worked'

/** Resolves to when `check` first holds, looking every 10 ms. */
const whenTrue = (check: () => Promise<boolean> | boolean, what: string) =>
  eventually(async () => (await check()) && performance.now(), 20_000, 10, what)

const bound = async (namespace: string, subject: string) =>
  (await boundSubjects(kube, DESTINATION, namespace)).includes(subject)

const agentHasContext = (context: string) => readFileSync(alice.kubeconfig, 'utf8').includes(context)

describe('a server replica killed behind a TCP load balancer', () => {
  it('moves the long polls to the other replica, keeps grant changes under a second, loses nothing', async () => {
    const client = loadClient(serverAddress, adminKey, serverCa)
    await eventually(kubectlWorks, 30_000, 50, 'kubectl to work through the connector')

    let phase: Phase = 'before the kills'
    let writing = true
    const answers = new Answers(PHASES, () => phase)
    const acknowledged = new Set<string>()
    const writer = (async () => {
      while (writing) {
        const user = await answers.call('createUser', () => client.users.create({ name: uniqueName('w') }))
        if (user) acknowledged.add(user.id)
        await sleep(50)
      }
    })()

    /** Grants a new user access to `web`; resolves to how long until the cluster binds them. */
    const change = async () => {
      const user = await client.users.create({ name: uniqueName('u') })
      const started = performance.now()
      await client.grants.create({ user: user.id, privilege: 'view', resource: `${DESTINATION}.web` })
      return (
        (await whenTrue(() => bound('web', `view User/${user.name}`), 'the grant in the cluster')) - started
      )
    }
    const latencies = new Map<Phase, number[]>()
    const timeChanges = async () => {
      const taken: number[] = []
      for (let i = 0; i < CHANGES; i++) taken.push(await change())
      latencies.set(phase, taken)
    }

    /**
     * Kills replica `index`, changes alice's grant on `other` at once (the answer comes from the replica left),
     * and times how long the connector and her agent take to see that change.
     */
    const reconnects: Array<[string, number, number, number]> = []
    const killOne = async (index: number, next: Phase, grant: boolean) => {
      const open = balancer.openConnections()
      phase = next
      const killed = performance.now()
      await replicas[index]!.kill()
      const subject = `view User/${ENGINEER}`
      const grantRequest = { userName: ENGINEER, privilege: 'view', resource: `${DESTINATION}.other` }
      // A request on a connection to the killed replica fails; the load balancer sends the next one on.
      await eventually(
        () =>
          (grant
            ? client.grants.create(grantRequest)
            : client.grants.patch({ grantsToRemove: [grantRequest] })
          ).then(() => true),
        10_000,
        20,
        'the grant change to be acknowledged',
      )
      const [inCluster, inKubeconfig] = await Promise.all([
        whenTrue(async () => (await bound('other', subject)) === grant, 'the connector to apply it'),
        whenTrue(() => agentHasContext(`infra:${DESTINATION}.other`) === grant, 'the agent to apply it'),
      ])
      reconnects.push([`replica ${index}`, open[index] ?? 0, inCluster - killed, inKubeconfig - killed])
    }

    await timeChanges()
    // First the replica the most connections go to now, then (once it is back) the other one, which by then
    // holds every long poll.
    const open = balancer.openConnections()
    const first = open.indexOf(Math.max(...open))
    await killOne(first, 'from the first kill', true)
    await timeChanges()
    expect(await kubectlWorks()).toBe(true)
    await startReplica(first)
    await killOne(1 - first, 'from the second kill', false)
    await timeChanges()
    expect(await kubectlWorks()).toBe(true)
    writing = false
    await writer

    // Nothing acknowledged lost; the cluster has exactly the bindings the grants call for, none twice.
    const users = new Set((await client.users.listAll()).map((user) => user.id))
    expect([...acknowledged].filter((id) => !users.has(id))).toEqual([])
    for (const namespace of ['web', 'other']) {
      expect(await boundSubjects(kube, DESTINATION, namespace)).toEqual(
        await grantedSubjects(client, DESTINATION, namespace),
      )
    }
    // Within a second as a rule; a loaded machine (2 cores, shared) may stretch one now and then.
    for (const killed of PHASES.slice(1)) {
      const { p50, max } = medianAndMax(latencies.get(killed) ?? [])
      expect(p50).toBeLessThan(1_000)
      expect(max).toBeLessThan(5_000)
    }
    for (const [, , inCluster, inKubeconfig] of reconnects)
      expect(Math.max(inCluster, inKubeconfig)).toBeLessThan(10_000)

    const ms = (value: number) => `${Math.round(value)} ms`
    recordResults(
      RESULTS,
      'Fault suite results',
      'A server replica killed behind a TCP load balancer',
      [
        '`pnpm --filter @infra/e2e test:faults replica-killed`: two replicas on one Postgres behind ' +
          '`startTcpLoadBalancer` (round-robin, TLS passed through, a refusing backend skipped), the connector and ' +
          "alice's agent long-polling through it, a writer creating users. The replica holding the most " +
          "connections is killed (SIGKILL), started again, then the other one is killed; at each kill alice's " +
          'grant on `dev.other` changes (added, then removed).',
        '',
        `Grant change to RoleBinding in the cluster (${CHANGES} changes per phase, one after the other):`,
        '',
        table(
          ['phase', 'p50', 'max'],
          PHASES.map((name) => {
            const { p50, max } = medianAndMax(latencies.get(name) ?? [])
            return [name, ms(p50), ms(max)]
          }),
        ),
        '',
        'Long polls reconnecting: from the kill to the change made at that moment reaching the cluster (connector) ' +
          "and alice's kubeconfig (agent):",
        '',
        table(
          ['killed', 'connections it had', 'connector', 'agent'],
          reconnects.map(([killed, connections, inCluster, inKubeconfig]) => [
            killed,
            connections,
            ms(inCluster),
            ms(inKubeconfig),
          ]),
        ),
        '',
        `Users created through the load balancer by the phase they started in (${acknowledged.size} acknowledged, ` +
          'all present afterwards):',
        '',
        answers.table(),
      ].join('\n'),
    )
  })
})
