import type { AuditStats } from './shipper.js'

const METRICS: Array<{ name: string; type: 'counter' | 'gauge'; help: string; of: keyof AuditStats }> = [
  {
    name: 'infra_connector_audit_events_delivered_total',
    type: 'counter',
    help: 'Audit events the server stored.',
    of: 'delivered',
  },
  {
    name: 'infra_connector_audit_events_dropped_total',
    type: 'counter',
    help: 'Audit events lost: the buffer was full, or the connector stopped before the server took them.',
    of: 'dropped',
  },
  {
    name: 'infra_connector_audit_events_rejected_total',
    type: 'counter',
    help: 'Audit events the server refused as invalid.',
    of: 'rejected',
  },
  {
    name: 'infra_connector_audit_events_buffered',
    type: 'gauge',
    help: 'Audit events held until the server takes them.',
    of: 'buffered',
  },
]

/** The audit counters in the Prometheus text format. */
export function auditMetrics(stats: AuditStats): string {
  return METRICS.map(
    ({ name, type, help, of }) => `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${stats[of]}\n`,
  ).join('')
}
