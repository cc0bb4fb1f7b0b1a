// Postgres crashes (stopped as `pg_ctl stop -m immediate` does) under mixed load and comes back: the server,
// the connector and the engineers' agents keep running throughout. What users must be able to count on: every
// write the server acknowledged is there afterwards, the cluster's access converges to the grants, and someone
// whose grant was revoked before the outage is never let in, during it or after.
import {
  createTestDatabase,
  eventually,
  run,
  startStoppablePostgres,
  uniqueName,
  type StoppablePostgres,
} from '@infra/test-harness'
import { startKubeApiServer, type KubeApiServer } from '@infra/test-harness/kube'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { copyFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { recordResults, table } from '../results.js'
import { boundSubjects, Connector, Person, startServer, type RunningServer } from '../system.js'
import {
  Answers,
  grantedSubjects,
  kubectlOutcome,
  loadClient,
  sleep,
  type KubectlOutcome,
} from './api-load.js'

const RESULTS = join(import.meta.dirname, 'results.md')
const DESTINATION = 'dev'
const NAMESPACE = 'web'
const RESOURCE = `${DESTINATION}.${NAMESPACE}`
const CONTEXT = `infra:${RESOURCE}`
const OUTAGE_MS = 3_000
/** Writers at once, each creating a user, granting it access and adding it to a group, over and over. */
const WRITERS = 4
const PHASES = ['before', 'outage', 'after'] as const
type Phase = (typeof PHASES)[number]

let postgres: StoppablePostgres
let kube: KubeApiServer
let server: RunningServer
let connector: Connector
let serverAddress: string
let serverCertificate: string
let adminKey: string
const admin = new Person('admin')
const alice = new Person('alice')
const bob = new Person('bob')

beforeAll(async () => {
  const cluster = (async () => {
    kube = await startKubeApiServer()
    await run('kubectl', ['--kubeconfig', kube.kubeconfigPath, 'create', 'namespace', NAMESPACE])
  })()
  postgres = await startStoppablePostgres()
  const database = await createTestDatabase(postgres.adminUrl)
  // The load is one admin key's: no rate limit in its way.
  server = await startServer(admin, database.url, ['--rate-limit', '1000000'])
  serverAddress = `127.0.0.1:${server.port}`
  serverCertificate = readFileSync(server.certificateFile, 'utf8')
  adminKey = server.adminKey
  const engineers = Promise.all(
    (
      [
        [alice, 'alice@example.com'],
        [bob, 'bob@example.com'],
      ] as const
    ).map(async ([person, name]) => {
      await admin.must('users', 'add', name)
      await admin.must('grants', 'add', name, RESOURCE, '--role', 'edit', '--force')
      await person.must(
        'login',
        serverAddress,
        '--key',
        await admin.must('keys', 'add', name),
        ...server.trust,
      )
    }),
  )
  const connectorKey = await admin.must('keys', 'add', 'connector')
  await cluster
  connector = await Connector.start({
    name: DESTINATION,
    server: `https://${serverAddress}`,
    serverCa: server.certificateFile,
    accessKey: connectorKey,
    kubeconfig: kube.kubeconfigPath,
    dir: admin.dir,
  })
  await engineers
}, 120_000)

afterAll(async () => {
  await Promise.allSettled([alice.infra('logout'), bob.infra('logout')])
  await Promise.allSettled([connector?.stop(), server?.program.stop()])
  await Promise.allSettled([kube?.stop(), postgres?.close()])
  for (const person of [admin, alice, bob]) person.cleanup()
})

/** kubectl through the connector, as the person's agent set it up (or with the kubeconfig given). */
const kubectlGet = (person: Person, kubeconfig = person.kubeconfig) =>
  person.kubectl(
    '--kubeconfig',
    kubeconfig,
    '--context',
    CONTEXT,
    '--request-timeout=5s',
    'get',
    'configmaps',
  )

/** Waits until kubectl of the person's has this outcome; resolves to the kubeconfig it was seen with. */
async function waitForKubectl(person: Person, outcome: KubectlOutcome, kubeconfig?: string) {
  await eventually(
    async () => kubectlOutcome(await kubectlGet(person, kubeconfig)) === outcome,
    30_000,
    50,
    `kubectl of ${person.name} to be ${outcome}`,
  )
}

describe('Postgres killed and restarted under load', () => {
  it('loses no acknowledged write, converges access, and never lets in a revoked user', async () => {
    const client = loadClient(serverAddress, adminKey, serverCertificate)
    const team = await client.groups.create({ name: uniqueName('team') })
    await client.grants.create({ group: team.id, privilege: 'view', resource: RESOURCE })
    await Promise.all([waitForKubectl(alice, 'worked'), waitForKubectl(bob, 'worked')])
    // Bob's grant goes before the outage; he keeps his kubeconfig (and its cached kubectl token) from before.
    const bobsKubeconfig = join(bob.dir, 'kept-kubeconfig')
    copyFileSync(bob.kubeconfig, bobsKubeconfig)
    await admin.must('grants', 'remove', 'bob@example.com', RESOURCE, '--role', 'edit')
    await waitForKubectl(bob, 'refused by the connector', bobsKubeconfig)

    let phase: Phase = 'before'
    let postgresBackAt = Number.POSITIVE_INFINITY
    let firstWriteAfter: number | undefined
    let writing = true
    let loading = true
    const answers = new Answers(PHASES, () => phase)
    const acknowledged = { users: new Set<string>(), grants: new Set<string>(), members: new Set<string>() }
    /** Every request counts; a write acknowledged after Postgres is back ends the writing. */
    const wrote = <T>(answer: T | undefined) => {
      if (answer !== undefined && performance.now() > postgresBackAt) firstWriteAfter ??= performance.now()
      return answer
    }
    const writer = async () => {
      while (writing) {
        const user = wrote(
          await answers.call('createUser', () => client.users.create({ name: uniqueName('w') })),
        )
        if (!user) {
          await sleep(20)
          continue
        }
        acknowledged.users.add(user.id)
        const grant = wrote(
          await answers.call('createGrant', () =>
            client.grants.create({ user: user.id, privilege: 'view', resource: RESOURCE }),
          ),
        )
        if (grant) acknowledged.grants.add(grant.id)
        const joined = await answers.call('updateGroupUsers', () =>
          client.groups.updateUsers(team.id, { usersToAdd: [user.id] }).then(() => true),
        )
        if (wrote(joined)) acknowledged.members.add(user.id)
      }
    }
    const reader = async () => {
      while (loading) {
        await answers.call('listUsers', () => client.users.list({ limit: 10 }))
        await answers.call('listGrants', () => client.grants.list({ destination: DESTINATION }))
        await sleep(20)
      }
    }
    const kubectl = { alice: new Answers(PHASES, () => phase), bob: new Answers(PHASES, () => phase) }
    const kubectlLoop = async (person: Person, kept: string | undefined, seen: Answers<Phase>) => {
      while (loading) {
        const started = phase
        seen.count(started, kubectlOutcome(await kubectlGet(person, kept)))
      }
    }
    const load = Promise.all([
      ...Array.from({ length: WRITERS }, writer),
      reader(),
      kubectlLoop(alice, undefined, kubectl.alice),
      kubectlLoop(bob, bobsKubeconfig, kubectl.bob),
    ])

    await sleep(2_000)
    phase = 'outage'
    await postgres.stopImmediately()
    await sleep(OUTAGE_MS)
    await postgres.start()
    postgresBackAt = performance.now()
    phase = 'after'
    await eventually(() => firstWriteAfter, 30_000, 10, 'a write acknowledged after Postgres is back')
    writing = false
    const converged = await eventually(
      async () => {
        const [granted, bound] = await Promise.all([
          grantedSubjects(client, DESTINATION, NAMESPACE),
          boundSubjects(kube, DESTINATION, NAMESPACE),
        ])
        return JSON.stringify(granted) === JSON.stringify(bound) && performance.now()
      },
      30_000,
      20,
      "the cluster's RoleBindings to match the grants",
    )
    await eventually(() => kubectl.alice.of('after', 'worked') > 0, 30_000, 50, 'kubectl to work again')
    loading = false
    await load

    // Everything acknowledged is there.
    const users = new Set((await client.users.listAll()).map((user) => user.id))
    const grants = new Set((await client.grants.listAll({ resource: RESOURCE })).map((grant) => grant.id))
    const members = new Set((await client.users.listAll({ group: team.id })).map((user) => user.id))
    expect([...acknowledged.users].filter((id) => !users.has(id))).toEqual([])
    expect([...acknowledged.grants].filter((id) => !grants.has(id))).toEqual([])
    expect([...acknowledged.members].filter((id) => !members.has(id))).toEqual([])
    // Bob was refused by the connector at every try, never admitted to the cluster.
    for (const seen of PHASES) {
      expect(kubectl.bob.of(seen, 'worked') + kubectl.bob.of(seen, 'forbidden by the cluster')).toBe(0)
    }
    expect(kubectl.bob.of('outage', 'refused by the connector')).toBeGreaterThan(0)
    // The outage is answered as one: 503 with Retry-After, never 500.
    for (const seen of PHASES) expect(answers.of(seen, '500')).toBe(0)
    expect(answers.of('outage', '503')).toBeGreaterThan(0)

    const sinceBack = (at: number) => `${Math.round(at - postgresBackAt)} ms`
    recordResults(
      RESULTS,
      'Fault suite results',
      'Postgres killed and restarted under load',
      [
        `\`pnpm --filter @infra/e2e test:faults postgres-killed\`: a dedicated Postgres stopped as \`pg_ctl stop -m immediate\` ` +
          `does for ${OUTAGE_MS / 1000} s, then started again (crash recovery), while ${WRITERS} writers create users, ` +
          'grant them access and add them to a group, a reader lists, the connector and two agents long-poll, and ' +
          'kubectl runs through the connector for alice (granted) and bob (revoked before the outage).',
        '',
        table(
          ['figure', 'value'],
          [
            ['Postgres back to the first acknowledged write', sinceBack(firstWriteAfter!)],
            ["Postgres back to the cluster's RoleBindings matching the grants", sinceBack(converged)],
            [
              'writes acknowledged (users, grants, memberships)',
              `${acknowledged.users.size}, ${acknowledged.grants.size}, ${acknowledged.members.size}`,
            ],
            ['acknowledged writes missing afterwards', 0],
            ['kubectl admissions of the revoked user', 0],
          ],
        ),
        '',
        'API requests by the phase they started in and how they ended (status, or no answer):',
        '',
        answers.table(),
        '',
        'kubectl through the connector, alice (granted):',
        '',
        kubectl.alice.table(),
        '',
        'kubectl through the connector, bob (grant revoked before the outage, token kept):',
        '',
        kubectl.bob.table(),
      ].join('\n'),
    )
  })
})
