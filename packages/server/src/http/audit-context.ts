import type { AuditActor } from '@infra/api-types'
import type { Request } from 'express'
import { hasRole, type Caller } from '../auth/caller.js'
import type { NewAuditEvent } from '../services/audit.js'

/** Where a request came from, as the audit events it causes record it. */
export interface RequestOrigin {
  sourceIp?: string
  userAgent?: string
}

/** Who made a change and from where: the part of its audit events that the request gives. */
export type AuditContext = Pick<NewAuditEvent, 'actor' | 'sourceIp' | 'userAgent'>

/**
 * The peer address (Express's `req.ip`, which follows forwarded headers only if `trust proxy` is set, so a
 * client cannot choose what is recorded), IPv4 without its IPv6 mapping, and the User-Agent header (which
 * recordAuditEvent shortens to what the schema allows).
 */
export function requestOrigin(req: Request): RequestOrigin {
  const sourceIp = req.ip?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '')
  const userAgent = req.get('user-agent')
  return { ...(sourceIp ? { sourceIp } : {}), ...(userAgent ? { userAgent } : {}) }
}

export const userActor = (user: { id: string; name: string }): AuditActor => ({
  kind: 'user',
  id: user.id,
  name: user.name,
})

/** The caller as an actor: connectors act under their own system user. */
function callerActor(caller: Caller): AuditActor {
  const actor = userActor({ id: caller.userId, name: caller.userName })
  return hasRole(caller, 'connector') ? { ...actor, kind: 'connector' } : actor
}

export const auditContext = (caller: Caller, origin: RequestOrigin): AuditContext => ({
  actor: callerActor(caller),
  ...origin,
})
