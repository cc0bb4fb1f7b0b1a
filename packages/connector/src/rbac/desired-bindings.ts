import { isReservedName, parseResource, type Grant } from '@infra/api-types'

/** Grants of this privilege authenticate a user to the cluster but bind no Kubernetes role. */
export const CONNECT_PRIVILEGE = 'connect'

export interface SubjectNames {
  users: ReadonlyMap<string, string>
  groups: ReadonlyMap<string, string>
}

export interface DesiredBinding {
  kind: 'ClusterRoleBinding' | 'RoleBinding'
  namespace?: string
  role: string
  subject: { kind: 'User' | 'Group'; name: string }
}

export interface Skipped {
  grant: Grant
  reason: string
}

/**
 * Turns the grants on one destination into the RBAC bindings that should exist: a ClusterRoleBinding for a
 * grant on the whole cluster, a RoleBinding for `<destination>.<namespace>`. Grants that cannot be applied
 * are reported, never thrown on, so one bad grant cannot stop the others from being reconciled: unknown
 * roles, deleted subjects, subjects named `system:*` (Kubernetes' own identities), and, when `namespaces` is
 * given, namespaces the cluster does not have.
 */
export function desiredBindings(
  destination: string,
  grants: readonly Grant[],
  names: SubjectNames,
  availableRoles: ReadonlySet<string>,
  options: { namespaces?: ReadonlySet<string> } = {},
): { bindings: DesiredBinding[]; skipped: Skipped[] } {
  const bindings: DesiredBinding[] = []
  const skipped: Skipped[] = []
  for (const grant of grants) {
    const resource = parseResource(grant.resource)
    if (!resource.ok || resource.value.destination !== destination || grant.privilege === CONNECT_PRIVILEGE)
      continue
    if (!availableRoles.has(grant.privilege)) {
      skipped.push({ grant, reason: `the cluster has no role "${grant.privilege}" available for grants` })
      continue
    }
    const subjectName = grant.user
      ? names.users.get(grant.user)
      : grant.group
        ? names.groups.get(grant.group)
        : undefined
    if (subjectName === undefined) {
      skipped.push({ grant, reason: 'its user or group no longer exists' })
      continue
    }
    if (isReservedName(subjectName)) {
      skipped.push({ grant, reason: `the name "${subjectName}" is reserved by Kubernetes (system:*)` })
      continue
    }
    const namespace = resource.value.namespace
    if (namespace !== undefined && options.namespaces && !options.namespaces.has(namespace)) {
      skipped.push({ grant, reason: `the namespace "${namespace}" does not exist in the cluster` })
      continue
    }
    bindings.push({
      kind: resource.value.namespace === undefined ? 'ClusterRoleBinding' : 'RoleBinding',
      ...(resource.value.namespace === undefined ? {} : { namespace: resource.value.namespace }),
      role: grant.privilege,
      subject: { kind: grant.user ? 'User' : 'Group', name: subjectName },
    })
  }
  return { bindings, skipped }
}
