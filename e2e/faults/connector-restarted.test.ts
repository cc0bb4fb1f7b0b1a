// The connector killed (SIGKILL, as an OOM kill or a node failure would) while grants change, then started
// again by its supervisor: the bindings follow the grants as they are now, bindings made by hand stay as they
// are, and kubectl goes on with the token it had before.
import { eventually } from '@infra/test-harness'
import { startKubeApiServer, type KubeApiServer } from '@infra/test-harness/kube'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { recordResults, table } from '../results.js'
import { collectLogLines, type LogLine, type RunningServer } from '../system.js'
import {
  ALICE,
  ClusterSystem,
  machineLoad,
  RESULTS,
  RESULTS_TITLE,
  infraBindings,
  sameBindings,
  type Binding,
} from './cluster.js'

const CAROL = 'carol@example.com'

let system: ClusterSystem<KubeApiServer>

beforeAll(async () => {
  system = await ClusterSystem.start({ startKube: startKubeApiServer, namespaces: ['web', 'ops'] })
  await system.admin.must('users', 'add', CAROL)
})

afterAll(() => system?.stop())

describe('the connector killed and started again', () => {
  it('reconciles the grants changed meanwhile, leaves hand-made bindings alone, and takes the tokens it took before', async () => {
    const { admin, kube, server, connector } = system
    await admin.must('grants', 'add', ALICE, 'dev.web', '--role', 'edit')
    await admin.must('grants', 'add', ALICE, 'dev.ops', '--role', 'view')
    await system.kubeAdmin(
      'create',
      'rolebinding',
      'by-hand',
      '--clusterrole',
      'view',
      '--user',
      'dave',
      '-n',
      'web',
    )
    const handMade = async () =>
      (await system.kubeAdmin('get', 'rolebinding', 'by-hand', '-n', 'web', '-o', 'json')).stdout
    const handMadeBefore = await handMade()
    const before: Binding[] = ['web edit User:alice@example.com', 'ops view User:alice@example.com']
    await eventually(
      async () => sameBindings(await infraBindings(kube), before),
      15_000,
      50,
      'the first bindings',
    )
    // kubectl gets a token (the CLI caches it) and uses it through the connector.
    const tokenCalls = countTokenCalls(server)
    await eventually(() => system.aliceCan('get', 'configmaps', '-n', 'web'), 15_000, 50, 'kubectl to work')
    const tokensBefore = tokenCalls()
    expect(tokensBefore).toBeGreaterThan(0)

    await connector.program!.kill()
    await admin.must('grants', 'remove', ALICE, 'dev.ops', '--role', 'view')
    await admin.must('grants', 'add', CAROL, 'dev.web', '--role', 'view')
    const after: Binding[] = ['web edit User:alice@example.com', 'web view User:carol@example.com']

    const started = Date.now()
    const starting = connector.startAgain()
    const log = collectLogLines(connector.program!)
    const served = eventually(
      async () => (await system.aliceCan('get', 'configmaps', '-n', 'web')) && Date.now(),
      30_000,
      0,
      'kubectl to work through the restarted connector',
    )
    const reconciled = eventually(
      async () => sameBindings(await infraBindings(kube), after) && Date.now(),
      30_000,
      25,
      'the bindings to follow the grants changed while the connector was down',
    )
    await starting
    const ready = Date.now()
    await Promise.all([served, reconciled])

    expect(await handMade()).toBe(handMadeBefore)
    expect(tokenCalls()).toBe(tokensBefore)
    expect(await system.aliceCan('get', 'configmaps', '-n', 'ops')).toBe(false)

    // The connector writes its log in batches, at least once a second.
    const logged = (what: string, matches: (line: LogLine) => boolean) =>
      eventually(() => log.find(matches), 3_000, 25, `the connector to log ${what}`)
    const firstServed = await logged(
      'a request',
      (line) => line.msg === 'proxied request' && line.status === 200,
    )
    const firstReconcile = await logged('a reconcile', (line) => line.msg === 'reconciled bindings')
    const at = (line: LogLine) => `${line.time - started} ms`
    recordResults(
      RESULTS,
      RESULTS_TITLE,
      'Connector killed (SIGKILL) and started again',
      `While it was down one grant was removed and one added; a hand-made RoleBinding stayed beside the
connector's. Times from the new process's start (connector log times; kubectl retried back to back, each
try a new kubectl and \`infra tokens add\`):

${table(
  ['step', 'after start'],
  [
    ['ready (`/readyz` 200)', `${ready - started} ms`],
    ['bindings reconciled (connector log)', at(firstReconcile)],
    ['bindings as granted, seen by the test', `${(await reconciled) - started} ms`],
    ['first proxied request served (connector log)', at(firstServed)],
    ['kubectl working, seen by the test', `${(await served) - started} ms`],
  ],
)}

The revoked grant's binding was deleted and the new one created; the hand-made RoleBinding was not touched
(same resourceVersion). kubectl used the token it had from before the restart: no \`POST /api/tokens\` reached
the server between the kill and the first request served. ${machineLoad()}`,
    )
  })
})

/** Counts the token requests the server logs from now on. */
function countTokenCalls(server: RunningServer): () => number {
  const log = collectLogLines(server.program)
  return () => log.filter((line) => line.method === 'POST' && line.path === '/api/tokens').length
}
