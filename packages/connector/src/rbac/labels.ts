import { createHash } from 'node:crypto'

/** Every object the connector creates carries this label; only objects with it are ever changed or deleted. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by'
export const MANAGED_BY_VALUE = 'infra-connector'
export const MANAGED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`
/** Label (and annotation, with the full name) naming the Infra destination a binding was made for. */
export const DESTINATION_LABEL = 'app.infrahq.com/destination'
export const DESTINATION_ANNOTATION = 'app.infrahq.com/destination'

/** The destination name as a label value: itself when it is a valid one, else a hash of it. */
export function destinationLabelValue(destination: string): string {
  if (destination.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(destination))
    return destination
  return `h-${createHash('sha256').update(destination).digest('hex').slice(0, 40)}`
}

/**
 * Selects the bindings one connector owns: made by a connector, for this destination. Connectors of other
 * destinations in the same cluster own theirs, and hand-made bindings carry no such labels.
 */
export function ownedSelector(destination: string): string {
  return `${MANAGED_SELECTOR},${DESTINATION_LABEL}=${destinationLabelValue(destination)}`
}
