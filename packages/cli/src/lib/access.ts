import type { Destination, Grant, InfraClient } from '@infra/client-sdk'
import { parseResource } from '@infra/api-types'
import type { Context } from './context.js'
import { syncKubeconfig, type AccessEntry, type KubeconfigChange } from './kubeconfig.js'

/** One destination (or namespace of it) the caller can reach, with the roles granted there. */
export interface Access {
  resource: string
  destination: string
  namespace?: string
  roles: string[]
  /** The destination as registered; undefined when no connector registered it (yet). */
  registered: Destination | undefined
}

/** What the caller (directly or through a group) has been granted on Kubernetes destinations. */
export async function listAccess(client: InfraClient): Promise<Access[]> {
  const [grants, destinations] = await Promise.all([
    client.grants.listAll({ user: 'self', showInherited: true }),
    client.destinations.listAll(),
  ])
  return accessFrom(grants, destinations)
}

/** The caller's access from their grants (with inherited ones) and the registered destinations. */
export function accessFrom(grants: readonly Grant[], destinations: readonly Destination[]): Access[] {
  const byName = new Map(destinations.map((destination) => [destination.name, destination]))
  const byResource = new Map<string, Access>()
  for (const grant of grants) {
    const parsed = parseResource(grant.resource)
    if (!parsed.ok || parsed.value.destination === 'infra') continue
    let access = byResource.get(grant.resource)
    if (!access) {
      const registered = byName.get(parsed.value.destination)
      access = { resource: grant.resource, ...parsed.value, roles: [], registered }
      byResource.set(grant.resource, access)
    }
    if (!access.roles.includes(grant.privilege)) access.roles.push(grant.privilege)
  }
  return [...byResource.values()].sort((a, b) => a.resource.localeCompare(b.resource))
}

/** The kubeconfig entries for what the caller can reach on destinations that can be reached. */
export function accessEntries(access: Access[]): AccessEntry[] {
  return access
    .filter((item) => item.registered?.kind === 'kubernetes' && item.registered.connection.url !== '')
    .map((item) => ({
      destination: item.destination,
      ...(item.namespace === undefined ? {} : { namespace: item.namespace }),
      server: item.registered?.connection.url ?? '',
      ca: item.registered?.connection.ca ?? '',
    }))
}

/** Lists the caller's access and writes the matching kubeconfig entries. */
export async function refreshKubeconfig(
  ctx: Context,
  server: string,
  client: InfraClient,
  useContext?: string,
): Promise<{ access: Access[]; change: KubeconfigChange }> {
  const access = await listAccess(client)
  return { access, change: await writeAccess(ctx, server, access, useContext) }
}

/** Writes the kubeconfig entries of `access` for `server`, replacing the ones written before. */
export function writeAccess(
  ctx: Context,
  server: string,
  access: Access[],
  useContext?: string,
): Promise<KubeconfigChange> {
  return syncKubeconfig(ctx, server, accessEntries(access), useContext ? { useContext } : {})
}
