import { formatResource, parseResource } from '@infra/api-types'

/** Every kubeconfig entry Infra writes starts with this, so the agent can find (and only touch) its own. */
export const INFRA_PREFIX = 'infra:'

/** `infra:<destination>[.<namespace>]`: the context name `infra use` accepts without the prefix. */
export function contextName(destination: string, namespace?: string): string {
  return `${INFRA_PREFIX}${formatResource({ destination, ...(namespace === undefined ? {} : { namespace }) })}`
}

export function isInfraEntry(name: string): boolean {
  return name.startsWith(INFRA_PREFIX)
}

/** The destination and namespace a context of ours points at, or undefined for anyone else's context. */
export function parseContextName(name: string): { destination: string; namespace?: string } | undefined {
  if (!isInfraEntry(name)) return undefined
  const parsed = parseResource(name.slice(INFRA_PREFIX.length))
  return parsed.ok ? parsed.value : undefined
}
