import type { AuditEventOf, IngestedAuditEvent } from '@infra/api-types'
import { v7 as uuidv7 } from 'uuid'

type KubeRequest = Extract<IngestedAuditEvent, { type: 'kube.request' }>

/** A connector's `kube.request` event, as it would send it: a fresh ID, now, `kubectl get pods` by alice. */
export function kubeRequestEvent(
  overrides: Partial<Omit<KubeRequest, 'details'>> & {
    details?: Partial<AuditEventOf<'kube.request'>['details']>
  } = {},
): KubeRequest {
  const occurredAt = overrides.occurredAt ?? new Date().toISOString()
  return {
    // Given no time, the library keeps IDs in the order they were made, also within one millisecond.
    id: overrides.occurredAt === undefined ? uuidv7() : uuidv7({ msecs: Date.parse(occurredAt) }),
    outcome: 'success',
    actor: { kind: 'user', name: 'alice@example.com' },
    sourceIp: '127.0.0.1',
    userAgent: 'kubectl/v1.34.0',
    ...overrides,
    occurredAt,
    type: 'kube.request',
    details: {
      verb: 'list',
      apiGroup: '',
      apiVersion: 'v1',
      resource: 'pods',
      namespace: 'default',
      requestUri: '/api/v1/namespaces/default/pods',
      status: 200,
      durationMs: 3,
      bytes: 512,
      decidedBy: 'api-server',
      groups: ['developers'],
      ...overrides.details,
    },
  }
}
