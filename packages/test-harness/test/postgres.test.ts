import { describe, expect, it } from '@jest/globals'
import pg from 'pg'
import { createTestDatabase } from '../src/index.js'

async function query(url: string, sql: string) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await client.query(sql)
  } finally {
    await client.end()
  }
}

describe('createTestDatabase', () => {
  it('gives each caller its own empty database and drops it afterwards', async () => {
    const [first, second] = await Promise.all([createTestDatabase(), createTestDatabase()])
    expect(first.name).not.toBe(second.name)
    await query(first.url, 'CREATE TABLE only_here (id int)')
    const tables = await query(
      second.url,
      "SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'only_here'",
    )
    expect(tables.rows[0]).toEqual({ n: 0 })
    await Promise.all([first.drop(), second.drop()])
    const left = await query(
      first.url.replace(first.name, 'postgres'),
      `SELECT count(*)::int AS n FROM pg_database WHERE datname IN ('${first.name}', '${second.name}')`,
    )
    expect(left.rows[0]).toEqual({ n: 0 })
  })
})
