import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import { PrismaClient, type Prisma } from '../generated/prisma/client.js'
import type { FailureLog } from './availability.js'

export type Database = PrismaClient
export type SqlPool = pg.Pool
export { Prisma } from '../generated/prisma/client.js'
/** The database, or the transaction a change runs in (so that its audit event commits with it). */
export type DatabaseClient = Database | Prisma.TransactionClient

export interface Connections {
  /** Prisma, for everything but the hottest paths. */
  db: Database
  /**
   * The same connection pool, for plain SQL on hot paths (authentication, long-poll answers, grant lists):
   * Prisma's query compiler costs about half a millisecond of CPU per query, plain pg a tenth of that.
   */
  sql: SqlPool
  close(): Promise<void>
}

/** Waiting longer for a connection (Postgres unreachable or every connection busy) answers 503 instead. */
const CONNECT_TIMEOUT_MS = 10_000

export function connectDatabase(url: string, poolSize: number, failures: FailureLog): Connections {
  const sql = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  })
  // An idle connection that Postgres closes (restart, failover) is dropped from the pool; without a listener
  // its error would end the process.
  sql.on('error', (error) => failures.failed(error, 'lost an idle database connection'))
  reclaimDeadConnections(sql)
  const db = new PrismaClient({
    adapter: new PrismaPg(sql),
    // A transaction waits for a connection as long as a single query does (Prisma's own default is 2 s): with
    // every change a transaction with its audit event, a busy pool must slow writes down, not fail them.
    transactionOptions: { maxWait: CONNECT_TIMEOUT_MS },
  })
  return {
    db,
    sql,
    close: async () => {
      await db.$disconnect()
      await sql.end().catch(() => undefined)
    },
  }
}

const RECLAIM_AFTER_MS = 5_000

/**
 * Gives back to the pool a checked-out connection that Postgres closed and nobody released. Prisma's driver
 * adapter releases a transaction's connection only after its COMMIT or ROLLBACK succeeded; when Postgres goes
 * away mid-transaction neither can, and each outage would otherwise cost the pool a connection for good.
 */
function reclaimDeadConnections(pool: pg.Pool): void {
  // Numbered, so that a connection released and checked out again in the meantime is left alone.
  const checkouts = new Map<pg.PoolClient, number>()
  let checkoutCount = 0
  pool.on('acquire', (client) => checkouts.set(client, ++checkoutCount))
  pool.on('release', (_error, client) => checkouts.delete(client))
  pool.on('connect', (client) => {
    // Postgres closing a connection that is checked out (between the statements of a transaction) is an 'error'
    // event with no listener of the pool's: it would end the process. Its holder learns of it from its next query.
    client.on('error', () => undefined)
    client.once('end', () => {
      const checkout = checkouts.get(client)
      if (checkout === undefined) return
      setTimeout(() => {
        if (checkouts.get(client) === checkout)
          client.release(new Error('the database closed this connection'))
      }, RECLAIM_AFTER_MS).unref()
    })
  })
}
