// Placeholder with the shapes agreed in COMMON.md, replaced by h-audit-store's services/audit.ts at merge.
import type { AuditEvent } from '@infra/api-types'
import type { DatabaseClient } from '../db/prisma.js'

export type { AuditActor } from '@infra/api-types'

type WithoutStoredFields<E> = E extends unknown
  ? Omit<E, 'id' | 'time' | 'occurredAt'> & { occurredAt?: string }
  : never
export type NewAuditEvent = WithoutStoredFields<AuditEvent>

export async function recordAuditEvent(_db: DatabaseClient, _event: NewAuditEvent): Promise<void> {}
