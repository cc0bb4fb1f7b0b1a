import type { AuditEvent, AuditEventOf } from '@infra/api-types'
import type { Context } from '../../lib/context.js'
import { table } from '../../lib/output.js'
import type { AUDIT_FORMATS } from './options.js'

export type AuditFormat = (typeof AUDIT_FORMATS)[number]

const HEADERS = ['id', 'time', 'type', 'outcome', 'actor', 'destination', 'what']

function kubeRequest(event: AuditEventOf<'kube.request'>): string {
  const { verb, resource, subresource, namespace, name, status, decidedBy, statusReason } = event.details
  const object = [resource, name].filter(Boolean).join('/') + (subresource ? `/${subresource}` : '')
  const where = namespace ? ` -n ${namespace}` : ''
  const decision = event.outcome === 'failure' ? ` (${decidedBy}: ${statusReason ?? status})` : ''
  return `${verb} ${object || event.details.requestUri}${where} ${status}${decision}`
}

/** What the event was about, in a few words: the Kubernetes request, or the target of a change. */
function what(event: AuditEvent): string {
  if (event.type === 'kube.request') return kubeRequest(event)
  if (event.type === 'kube.session.started' || event.type === 'kube.session.ended')
    return `${event.details.kind} ${event.details.namespace}/${event.details.pod}`
  if (event.type === 'kube.discovery') return `${event.details.count} discovery requests`
  const target = event.target && `${event.target.kind} ${event.target.name ?? event.target.id ?? ''}`.trim()
  return [target, event.reason].filter(Boolean).join(': ')
}

const actorOf = (event: AuditEvent) => event.actor.name ?? event.actor.id ?? event.actor.kind

export const auditRow = (event: AuditEvent): string[] => [
  event.id,
  event.occurredAt,
  event.type,
  event.outcome,
  actorOf(event),
  event.destination ?? '',
  what(event),
]

/** Events as a table for people, a JSON array, or one JSON object per line for other tools. */
export function printEvents(ctx: Context, format: AuditFormat, events: AuditEvent[]): void {
  if (format === 'json') {
    ctx.io.stdout.write(`${JSON.stringify(events, null, 2)}\n`)
  } else if (format === 'ndjson') {
    for (const event of events) printEventLine(ctx, format, event)
  } else if (events.length === 0) {
    ctx.io.stderr.write('No audit events.\n')
  } else {
    ctx.io.stdout.write(table(HEADERS, events.map(auditRow), ctx.outStyle))
  }
}

/** One event as it arrives (a followed stream): NDJSON, or the table's columns without alignment. */
export function printEventLine(ctx: Context, format: AuditFormat, event: AuditEvent): void {
  ctx.io.stdout.write(format === 'table' ? `${auditRow(event).join('  ')}\n` : `${JSON.stringify(event)}\n`)
}
