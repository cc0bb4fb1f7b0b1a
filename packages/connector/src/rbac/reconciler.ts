import { createHash } from 'node:crypto'
import type { Logger } from 'pino'
import { type KubeConnection, KubeError, type KubeObject } from '../kube/connection.js'
import type { DesiredBinding } from './desired-bindings.js'
import {
  DESTINATION_ANNOTATION,
  DESTINATION_LABEL,
  destinationLabelValue,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  ownedSelector,
} from './labels.js'

const RBAC = '/apis/rbac.authorization.k8s.io/v1'
const RBAC_GROUP = 'rbac.authorization.k8s.io'

interface Subject {
  kind: 'User' | 'Group'
  apiGroup: string
  name: string
}

/** The object whose deletion makes Kubernetes' garbage collector delete the bindings (ownerReferences). */
export interface BindingOwner {
  apiVersion: string
  kind: string
  name: string
  uid: string
}

export interface BindingObject extends KubeObject {
  roleRef: { apiGroup: string; kind: string; name: string }
  subjects?: Subject[]
}

/** One Kubernetes object the grants call for: all subjects of one role in one scope. */
export interface PlannedBinding {
  kind: 'ClusterRoleBinding' | 'RoleBinding'
  namespace?: string
  name: string
  role: string
  subjects: Subject[]
}

/**
 * The bindings the connector owns as its watches see them, and a way to record its own writes there.
 * Reading them from a watch cache avoids lists, which the API server answers only once its cache has caught
 * up with etcd (often tens of milliseconds after other writes).
 */
/** Which binding an operation is about (a planned one or one found in the cluster), for messages. */
type BindingRef = Pick<PlannedBinding, 'kind' | 'name'> & { namespace?: string | undefined }

export interface BindingCache {
  clusterRoleBindings(): BindingObject[]
  roleBindings(): BindingObject[]
  written(kind: PlannedBinding['kind'], object: BindingObject, deleted: boolean): void
}

export interface ReconcileResult {
  created: number
  updated: number
  deleted: number
  /** Bindings that could not be made (e.g. a hand-made object holds the name). */
  problems: string[]
}

/** `infra:<destination>:<role>`; a hash stands in when that would be too long. */
export function bindingName(destination: string, role: string): string {
  const name = `infra:${destination}:${role}`
  if (name.length <= 253) return name
  const hash = createHash('sha256').update(`${destination}\u0000${role}`).digest('hex').slice(0, 16)
  return `infra:${destination.slice(0, 100)}:${role.slice(0, 100)}-${hash}`
}

const scopeKey = (kind: string, namespace: string | undefined, name: string) =>
  `${kind}/${namespace ?? ''}/${name}`

const subjectKey = (subject: Subject) => `${subject.kind}\u0000${subject.name}`

/** Groups the per-grant bindings into one object per role and scope, with sorted, unique subjects. */
export function planBindings(destination: string, bindings: readonly DesiredBinding[]): PlannedBinding[] {
  const planned = new Map<string, PlannedBinding & { seen: Set<string> }>()
  for (const binding of bindings) {
    const name = bindingName(destination, binding.role)
    const key = scopeKey(binding.kind, binding.namespace, name)
    let entry = planned.get(key)
    if (!entry) {
      entry = {
        kind: binding.kind,
        ...(binding.namespace !== undefined ? { namespace: binding.namespace } : {}),
        name,
        role: binding.role,
        subjects: [],
        seen: new Set(),
      }
      planned.set(key, entry)
    }
    const subject: Subject = { kind: binding.subject.kind, apiGroup: RBAC_GROUP, name: binding.subject.name }
    if (!entry.seen.has(subjectKey(subject))) {
      entry.seen.add(subjectKey(subject))
      entry.subjects.push(subject)
    }
  }
  return [...planned.values()].map(({ seen: _seen, ...binding }) => ({
    ...binding,
    subjects: binding.subjects.sort((a, b) => (subjectKey(a) < subjectKey(b) ? -1 : 1)),
  }))
}

const sameSubjects = (a: readonly Subject[] = [], b: readonly Subject[] = []) =>
  a.length === b.length &&
  a.every(
    (subject, index) =>
      subject.kind === b[index]?.kind && subject.name === b[index]?.name && b[index]?.apiGroup === RBAC_GROUP,
  )

/** Whether the object names the owner (any object, when there is none). */
function ownedBy(object: BindingObject, owner: BindingOwner | undefined): boolean {
  const references = (object.metadata.ownerReferences ?? []) as Array<{ uid?: string }>
  return owner === undefined || references.some((reference) => reference.uid === owner.uid)
}

function collection(kind: PlannedBinding['kind'], namespace: string | undefined): string {
  return kind === 'ClusterRoleBinding'
    ? `${RBAC}/clusterrolebindings`
    : `${RBAC}/namespaces/${encodeURIComponent(namespace ?? '')}/rolebindings`
}

/**
 * Makes the cluster's managed bindings equal to the plan: creates what is missing, updates subjects,
 * recreates bindings whose role changed, and deletes every binding it owns (managed-by label and this
 * destination's label) that the plan does not name. Other objects are never touched.
 */
export async function reconcileBindings(
  kube: KubeConnection,
  plan: readonly PlannedBinding[],
  destination: string,
  logger: Logger,
  cache?: BindingCache,
  owner?: BindingOwner,
): Promise<ReconcileResult> {
  const [clusterBindings, roleBindings] = cache
    ? [cache.clusterRoleBindings(), cache.roleBindings()]
    : (
        await Promise.all([
          kube.list<BindingObject>(`${RBAC}/clusterrolebindings`, {
            labelSelector: ownedSelector(destination),
          }),
          kube.list<BindingObject>(`${RBAC}/rolebindings`, { labelSelector: ownedSelector(destination) }),
        ])
      ).map((list) => list.items)
  const selector = ownedSelector(destination)
  const owned = (object: BindingObject) =>
    selector.split(',').every((term) => {
      const [name = '', value] = term.split('=')
      return object.metadata.labels?.[name] === value
    })
  const actual = new Map<string, BindingObject & { kind: PlannedBinding['kind'] }>()
  for (const item of clusterBindings ?? []) {
    actual.set(scopeKey('ClusterRoleBinding', undefined, item.metadata.name), {
      ...item,
      kind: 'ClusterRoleBinding',
    })
  }
  for (const item of roleBindings ?? []) {
    actual.set(scopeKey('RoleBinding', item.metadata.namespace, item.metadata.name), {
      ...item,
      kind: 'RoleBinding',
    })
  }

  const result: ReconcileResult = { created: 0, updated: 0, deleted: 0, problems: [] }
  const objectFor = (binding: PlannedBinding, resourceVersion?: string): BindingObject => ({
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: binding.kind,
    metadata: {
      name: binding.name,
      ...(binding.namespace !== undefined ? { namespace: binding.namespace } : {}),
      labels: {
        [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
        [DESTINATION_LABEL]: destinationLabelValue(destination),
      },
      annotations: { [DESTINATION_ANNOTATION]: destination },
      ...(owner ? { ownerReferences: [owner] } : {}),
      ...(resourceVersion ? { resourceVersion } : {}),
    },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: binding.role },
    subjects: binding.subjects,
  })
  const describe = (binding: BindingRef) =>
    binding.namespace
      ? `${binding.kind} ${binding.namespace}/${binding.name}`
      : `${binding.kind} ${binding.name}`

  const operations: Promise<void>[] = []
  const run = (binding: BindingRef, operation: () => Promise<void>) =>
    operations.push(
      operation().catch((error: unknown) => {
        const message = `${describe(binding)}: ${(error as Error).message}`
        result.problems.push(message)
        logger.warn({ err: error, binding: describe(binding) }, 'could not reconcile a binding')
      }),
    )

  const planned = new Set<string>()
  for (const binding of plan) {
    const key = scopeKey(binding.kind, binding.namespace, binding.name)
    planned.add(key)
    const existing = actual.get(key)
    const path = collection(binding.kind, binding.namespace)
    const itemPath = `${path}/${encodeURIComponent(binding.name)}`
    const record = (object: BindingObject, deleted = false) => cache?.written(binding.kind, object, deleted)
    /** Brings an existing owned object in line with the plan. */
    const converge = async (current: BindingObject, retried = false): Promise<void> => {
      if (current.roleRef.name !== binding.role || current.roleRef.kind !== 'ClusterRole') {
        // roleRef is immutable: replace the object.
        await kube.request('DELETE', itemPath, {
          body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: current.metadata.uid } },
        })
        record(current, true)
        record(await kube.request<BindingObject>('POST', path, { body: objectFor(binding) }))
        result.updated++
      } else if (
        !sameSubjects(current.subjects, binding.subjects) ||
        current.metadata.annotations?.[DESTINATION_ANNOTATION] !== destination ||
        !ownedBy(current, owner)
      ) {
        try {
          record(
            await kube.request<BindingObject>('PUT', itemPath, {
              body: objectFor(binding, current.metadata.resourceVersion),
            }),
          )
        } catch (error) {
          // A stale cached version: read the current one and try once more.
          if (!(error instanceof KubeError && error.status === 409) || retried) throw error
          const fresh = await kube.request<BindingObject>('GET', itemPath)
          if (!owned(fresh))
            throw new Error('the object is no longer owned by this connector', { cause: error })
          return converge(fresh, true)
        }
        result.updated++
      }
    }
    if (!existing) {
      run(binding, async () => {
        try {
          record(await kube.request<BindingObject>('POST', path, { body: objectFor(binding) }))
          result.created++
        } catch (error) {
          if (!(error instanceof KubeError && error.status === 409)) throw error
          // Ours but not yet seen by the watch, or someone else's.
          const current = await kube.request<BindingObject>('GET', itemPath)
          if (!owned(current)) {
            throw new Error(
              'an object of that name exists that this connector does not own; it is left alone',
              {
                cause: error,
              },
            )
          }
          record(current)
          await converge(current)
        }
      })
    } else {
      run(binding, () => converge(existing))
    }
  }
  for (const [key, existing] of actual) {
    if (planned.has(key)) continue
    const path = collection(existing.kind, existing.metadata.namespace)
    run(
      { kind: existing.kind, namespace: existing.metadata.namespace, name: existing.metadata.name },
      async () => {
        try {
          await kube.request('DELETE', `${path}/${encodeURIComponent(existing.metadata.name)}`, {
            body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: existing.metadata.uid } },
          })
          result.deleted++
        } catch (error) {
          if (!(error instanceof KubeError && (error.status === 404 || error.status === 409))) throw error
        }
      },
    )
  }
  await Promise.all(operations)
  return result
}
