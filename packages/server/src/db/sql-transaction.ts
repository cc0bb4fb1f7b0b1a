import type pg from 'pg'
import type { SqlPool } from './prisma.js'

/** Runs `work` in a transaction on one connection of the pool: committed if it resolves, else rolled back. */
export async function inTransaction<T>(
  sql: SqlPool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await sql.connect()
  try {
    await client.query('BEGIN')
    const result = await work(client)
    await client.query('COMMIT')
    return result
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw error
  } finally {
    client.release()
  }
}
