// What the cluster fault cases share: where their figures go, and the connector's bindings as they are.
import { run } from '@infra/test-harness'
import type { KubeApiServer } from '@infra/test-harness/kube'
import { fileURLToPath } from 'node:url'

export const RESULTS = fileURLToPath(new URL('results.md', import.meta.url))
export const RESULTS_TITLE = 'Fault suite results'

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
  const listed = await run('kubectl', [
    ...['--kubeconfig', kube.kubeconfigPath, 'get', 'rolebindings,clusterrolebindings', '-A'],
    ...['-l', MANAGED, '-o', 'json'],
  ])
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
