import type { AuditEventType, AuditOutcome } from '@infra/api-types'

interface FilterArgs {
  since?: string | undefined
  until?: string | undefined
  user?: string | undefined
  destination?: string | undefined
  type?: string[] | undefined
  outcome?: string | undefined
}

/** The filter flags as the API's query, leaving out those not given. */
export function auditFilters(args: FilterArgs) {
  return {
    ...(args.since !== undefined && { since: args.since }),
    ...(args.until !== undefined && { until: args.until }),
    ...(args.user !== undefined && { user: args.user }),
    ...(args.destination !== undefined && { destination: args.destination }),
    // yargs checked them against the choices, which are the API's own lists.
    ...(args.type !== undefined && args.type.length > 0 && { type: args.type as AuditEventType[] }),
    ...(args.outcome !== undefined && { outcome: args.outcome as AuditOutcome }),
  }
}
