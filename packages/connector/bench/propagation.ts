// Grant propagation: from the API call to the RoleBinding being present (or gone) in the cluster.
import type { Figure, Section } from '@infra/test-harness/bench'
import { KubeError } from '../src/kube/connection.js'
import { percentile, type InfraUser, type TestEnv } from '../test/env.js'

const CHANGES = 100

export async function propagationSection(env: TestEnv, user: InfraUser): Promise<Section> {
  const binding = async () => {
    try {
      await env.admin.request(
        'GET',
        '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings/infra:bench:edit',
      )
      return true
    } catch (error) {
      if (error instanceof KubeError && error.status === 404) return false
      throw error
    }
  }
  const until = async (present: boolean) => {
    const deadline = Date.now() + 10_000
    while ((await binding()) !== present) {
      if (Date.now() > deadline) throw new Error('binding did not converge within 10 s')
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
  }
  const created: number[] = []
  const deleted: number[] = []
  for (let i = 0; i < CHANGES / 2; i++) {
    let t0 = performance.now()
    const id = await env.grant({ user: user.id, privilege: 'edit', resource: 'bench.default' })
    await until(true)
    created.push(performance.now() - t0)
    t0 = performance.now()
    await env.revoke(id)
    await until(false)
    deleted.push(performance.now() - t0)
  }
  const all = [...created, ...deleted]
  const of = (id: string, label: string, values: number[]): Figure[] => [
    { id: `${id}-p50`, label: `${label}, p50`, value: percentile(values, 50), unit: 'ms', better: 'lower' },
    {
      id: `${id}-p99`,
      label: `${label}, p99`,
      value: percentile(values, 99),
      unit: 'ms',
      better: 'lower',
      ...(id === 'all' ? { target: { value: 1000 } } : {}),
    },
    { id: `${id}-max`, label: `${label}, max`, value: Math.max(...values), unit: 'ms', better: 'lower' },
  ]
  return {
    id: 'grant-propagation',
    title: `Grant propagation, ${CHANGES} changes`,
    description:
      'Time from the `POST /api/grants` (or `DELETE`) call to the RoleBinding being present (or gone) in the ' +
      'cluster, polled by the benchmark every millisecond.',
    figures: [
      ...of('created', `created (${created.length})`, created),
      ...of('deleted', `deleted (${deleted.length})`, deleted),
      ...of('all', `all (${all.length})`, all),
    ],
  }
}
