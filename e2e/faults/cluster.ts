// What the cluster fault cases share: the system they run, where their figures go, the connector's bindings.
import { createTestDatabase, run, type Result, type TestDatabase } from '@infra/test-harness'
import type { KubeApiServer } from '@infra/test-harness/kube'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Connector, logInAsNewUser, Person, startServer, type RunningServer } from '../system.js'

export const RESULTS = fileURLToPath(new URL('results.md', import.meta.url))
export const RESULTS_TITLE = 'Fault suite results'
export const ALICE = 'alice@example.com'

/** The machine's load when a case records its figures: on a shared machine they vary with it. */
export const machineLoad = () => `Load average at the end of the case: ${loadavg()[0]!.toFixed(1)} (1 min).`

/** A binding as `namespace role Kind:name` (namespace `*` for a ClusterRoleBinding). */
export type Binding = string

/** The label selector of the bindings connectors make. */
export const MANAGED = 'app.kubernetes.io/managed-by=infra-connector'

interface BindingList {
  items: Array<{
    metadata: { namespace?: string; labels?: Record<string, string> }
    roleRef: { name: string }
    subjects?: Array<{ kind: string; name: string }>
  }>
}

/** The RoleBindings and ClusterRoleBindings the connector made (its label), one entry per subject. */
export async function infraBindings(kube: KubeApiServer): Promise<Binding[]> {
  const listed = await kubeAdmin(
    kube,
    'get',
    'rolebindings,clusterrolebindings',
    '-A',
    '-l',
    MANAGED,
    '-o',
    'json',
  )
  if (listed.code !== 0) throw new Error(`kubectl get rolebindings: ${listed.stderr}`)
  return (JSON.parse(listed.stdout) as BindingList).items.flatMap((binding) =>
    (binding.subjects ?? []).map(
      (subject) =>
        `${binding.metadata.namespace ?? '*'} ${binding.roleRef.name} ${subject.kind}:${subject.name}`,
    ),
  )
}

export function sameBindings(actual: Binding[], expected: Binding[]): boolean {
  return JSON.stringify([...actual].sort()) === JSON.stringify([...expected].sort())
}

/**
 * What each cluster case runs: its own database, server and cluster, namespaces in it, a connector for
 * destination `dev` in front of it, and alice, a user logged in with the CLI (her agent keeps her kubeconfig).
 */
export class ClusterSystem<Kube extends KubeApiServer> {
  private constructor(
    readonly admin: Person,
    readonly alice: Person,
    readonly database: TestDatabase,
    readonly kube: Kube,
    readonly server: RunningServer,
    readonly connector: Connector,
  ) {}

  /** `serverUrl` says where the connector reaches the server (default: the server itself). */
  static async start<Kube extends KubeApiServer>(options: {
    startKube: () => Promise<Kube>
    namespaces: string[]
    serverUrl?: (server: RunningServer) => Promise<string>
  }): Promise<ClusterSystem<Kube>> {
    const [database, kube] = await Promise.all([createTestDatabase(), options.startKube()])
    for (const namespace of options.namespaces) await kubeAdmin(kube, 'create', 'namespace', namespace)
    const [admin, alice] = [new Person('admin'), new Person('alice')]
    const server = await startServer(admin, database.url)
    const connector = await Connector.startFor(admin, server, {
      name: 'dev',
      kubeconfig: kube.kubeconfigPath,
      ...(options.serverUrl ? { via: await options.serverUrl(server) } : {}),
    })
    await logInAsNewUser(admin, alice, ALICE, server)
    return new ClusterSystem(admin, alice, database, kube, server, connector)
  }

  /** kubectl as the cluster's admin, directly at the API server. */
  kubeAdmin(...args: string[]): Promise<Result> {
    return kubeAdmin(this.kube, ...args)
  }

  /** Whether kubectl as alice, through the connector, succeeds. */
  async aliceCan(...args: string[]): Promise<boolean> {
    return (await this.alice.kubectl('--context', 'infra:dev.web', ...args)).code === 0
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.alice.infra('logout')])
    await Promise.allSettled([this.connector.stop(), this.server.program.stop()])
    await Promise.allSettled([this.kube.stop(), this.database.drop()])
    for (const person of [this.admin, this.alice]) person.cleanup()
  }
}

function kubeAdmin(kube: KubeApiServer, ...args: string[]): Promise<Result> {
  return run('kubectl', ['--kubeconfig', kube.kubeconfigPath, ...args])
}
