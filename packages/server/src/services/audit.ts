// Placeholder with the shapes agreed in COMMON.md, replaced by h-audit-store's services/audit.ts at merge.
import type { Database, Prisma } from '../db/prisma.js'

export interface AuditActor {
  kind: 'user' | 'machine' | 'connector' | 'anonymous'
  id?: string
  name?: string
}

export interface NewAuditEvent {
  type: string
  outcome: 'success' | 'failure'
  reason?: string
  actor: AuditActor
  sourceIp?: string
  userAgent?: string
  destination?: string
  target?: { kind: string; id?: string; name?: string }
  details: Record<string, unknown>
  occurredAt?: string
}

export async function recordAuditEvent(
  _db: Database | Prisma.TransactionClient,
  _event: NewAuditEvent,
): Promise<void> {}
