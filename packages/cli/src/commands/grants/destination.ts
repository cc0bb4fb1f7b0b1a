import { parseResource } from '@infra/api-types'
import { CliError } from '../../lib/context.js'

/** The destination (and namespace) of a grant's resource, as a CliError when it is not one. */
export function parseDestination(resource: string) {
  const parsed = parseResource(resource)
  if (!parsed.ok) {
    throw new CliError(
      `invalid destination "${resource}": ${parsed.error}`,
      'use DESTINATION, DESTINATION.NAMESPACE or infra',
    )
  }
  return parsed.value
}
