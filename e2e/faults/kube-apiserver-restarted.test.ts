// The cluster's API server restarted (an upgrade, a control-plane node replaced) under a running connector:
// its watches reconnect and the bindings follow the grants again within seconds, including a grant made
// while the API server was down and a binding deleted by hand the moment it was back (whether or not the
// connector was watching again by then); kubectl through the connector works again.
import { eventually } from '@infra/test-harness'
import { startRestartableKubeApiServer, type RestartableKubeApiServer } from '@infra/test-harness/kube'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { setTimeout as sleep } from 'node:timers/promises'
import { recordResults, table } from '../results.js'
import {
  ALICE,
  ClusterSystem,
  MANAGED,
  machineLoad,
  RESULTS,
  RESULTS_TITLE,
  infraBindings,
  sameBindings,
  type Binding,
} from './cluster.js'

/** How long the API server stays down once stopped, besides the time it takes to stop and start. */
const DOWN_MS = 10_000
/** What the issue asks: reconciled within this long of the API server being back. */
const RECONCILED_WITHIN_MS = 5_000

let system: ClusterSystem<RestartableKubeApiServer>

beforeAll(async () => {
  system = await ClusterSystem.start({ startKube: startRestartableKubeApiServer, namespaces: ['web', 'ops'] })
})

afterAll(() => system?.stop())

describe('the kube-apiserver restarted', () => {
  it('is followed by reconnected watches, reconciled bindings and working kubectl within seconds', async () => {
    const { admin, kube } = system
    await admin.must('grants', 'add', ALICE, 'dev.web', '--role', 'edit')
    const edit: Binding = 'web edit User:alice@example.com'
    await eventually(async () => sameBindings(await infraBindings(kube), [edit]), 15_000, 50, 'the binding')
    await eventually(() => system.aliceCan('get', 'configmaps', '-n', 'web'), 15_000, 50, 'kubectl to work')

    const stopping = Date.now()
    await kube.shutDown()
    const down = Date.now()
    // Kept by the server; the connector cannot write its binding until the API server is back.
    await admin.must('grants', 'add', ALICE, 'dev.ops', '--role', 'view')
    await sleep(DOWN_MS)
    const starting = Date.now()
    await kube.startAgain()
    const up = Date.now()
    // Nobody can delete while it is down: the moment it is back, while the connector's watches may still be
    // waiting to reconnect.
    const deleted = await system.kubeAdmin('delete', 'rolebindings', '-n', 'web', '-l', MANAGED)
    expect(deleted.stdout).toContain('deleted')

    const expected: Binding[] = [edit, 'ops view User:alice@example.com']
    const reconciled = await eventually(
      async () => sameBindings(await infraBindings(kube), expected) && Date.now(),
      30_000,
      25,
      'the bindings to follow the grants again',
    )
    const kubectlWorks = await eventually(
      async () => (await system.aliceCan('get', 'configmaps', '-n', 'ops')) && Date.now(),
      30_000,
      0,
      'kubectl to work through the connector again',
    )
    expect(reconciled - up).toBeLessThan(RECONCILED_WITHIN_MS)

    recordResults(
      RESULTS,
      RESULTS_TITLE,
      'kube-apiserver restarted',
      `The API server (with its etcd) stopped, kept down ${DOWN_MS / 1000} s more, and started again on the same
port and data, under a running connector. While it was down a grant was added on the server; the moment it was
back the connector's RoleBinding of an older grant was deleted by hand (possibly before the connector's watches
had reconnected: they retry at most 3 s apart). Times from the API server answering again (\`ready\`):

${table(
  ['step', 'time'],
  [
    ['API server stopping (SIGTERM to exit)', `${down - stopping} ms`],
    ['API server away in all (exit to ready again)', `${up - down} ms`],
    ['API server starting (start to ready)', `${up - starting} ms`],
    ['bindings reconciled: the new grant bound, the deleted binding back', `${reconciled - up} ms`],
    ['kubectl through the connector working (in the new namespace)', `${kubectlWorks - up} ms`],
  ],
)}

Asserted: reconciled within ${RECONCILED_WITHIN_MS / 1000} s of the API server being back. kubectl is retried
back to back (each try a new kubectl process). ${machineLoad()}`,
    )
  })
})
