import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import { PrismaClient } from '../generated/prisma/client.js'
import type { Logger } from '../http/logger.js'

export type Database = PrismaClient
export type SqlPool = pg.Pool
export { Prisma } from '../generated/prisma/client.js'

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

export function connectDatabase(url: string, poolSize: number, logger: Logger): Connections {
  const sql = new pg.Pool({ connectionString: url, max: poolSize })
  // An idle connection that Postgres closes (restart, failover) is dropped from the pool; without a listener
  // its error would end the process.
  sql.on('error', (error) => logger.warn({ err: error }, 'lost an idle database connection'))
  const db = new PrismaClient({ adapter: new PrismaPg(sql) })
  return {
    db,
    sql,
    close: async () => {
      await db.$disconnect()
      await sql.end().catch(() => undefined)
    },
  }
}
