import { afterAll, describe, expect, it } from '@jest/globals'
import pg from 'pg'
import { createTestDatabase, startStoppablePostgres, type StoppablePostgres } from '../src/index.js'

let postgres: StoppablePostgres | undefined
afterAll(() => postgres?.close())

describe('startStoppablePostgres', () => {
  it('crashes on demand (stop -m immediate) and comes back with what was committed', async () => {
    postgres = await startStoppablePostgres()
    const database = await createTestDatabase(postgres.adminUrl)
    expect(new URL(database.url).port).toBe(new URL(postgres.adminUrl).port)
    const client = new pg.Client({ connectionString: database.url })
    client.on('error', () => undefined)
    await client.connect()
    await client.query("CREATE TABLE kept AS SELECT 'committed' AS value")

    await postgres.stopImmediately()
    await expect(client.query('SELECT 1')).rejects.toThrow()
    await postgres.start()

    const again = new pg.Client({ connectionString: database.url })
    await again.connect()
    expect((await again.query('SELECT value FROM kept')).rows).toEqual([{ value: 'committed' }])
    await again.end()
  }, 60_000)
})
