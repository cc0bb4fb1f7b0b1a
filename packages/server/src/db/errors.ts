import { Prisma } from '../generated/prisma/client.js'

/** A unique constraint refused the write: someone else created the same thing first. */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002'
}

/** A foreign key pointed at a row that does not exist (or no longer does). */
export function isForeignKeyViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2003'
}

// Prisma's codes for a database it cannot reach: P1001 can't reach, P1002 and P1008 timed out, P1017 the
// server closed the connection, P2024 no connection free in the pool in time.
const PRISMA_UNREACHABLE_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024'])
// What @prisma/adapter-pg calls the same failures of the pg driver under it.
const ADAPTER_UNREACHABLE_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
])
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
])
/**
 * SQLSTATEs of a server going away or not there yet: class 08 (connection exceptions), 57P01–57P03
 * (terminated by an administrator or a crash, starting up or shutting down) and 53300 (too many connections).
 */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300)$/
// pg raises these as plain errors, without a code.
const POOL_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
]

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined
}

function describesUnreachable(error: unknown): boolean {
  const code = field(error, 'code')
  if (typeof code === 'string') {
    if (PRISMA_UNREACHABLE_CODES.has(code) || SOCKET_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code)) {
      return true
    }
  }
  const kind = field(error, 'kind')
  if (typeof kind === 'string' && ADAPTER_UNREACHABLE_KINDS.has(kind)) return true
  const message = field(error, 'message')
  return typeof message === 'string' && POOL_MESSAGES.some((start) => message.startsWith(start))
}

/**
 * Whether a failure means the database cannot be reached (stopped, restarting, failing over, out of
 * connections) rather than that the query was wrong. Looks through Prisma's wrapping (`meta.driverAdapterError`),
 * the driver adapter's own description and `cause` chains, since each layer reports the same outage its way.
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  const pending: unknown[] = [error]
  for (let depth = 0; depth < 8 && pending.length > 0; depth++) {
    const current = pending.pop()
    if (typeof current !== 'object' || current === null) continue
    if (describesUnreachable(current)) return true
    pending.push(field(current, 'cause'), field(field(current, 'meta'), 'driverAdapterError'))
  }
  return false
}
