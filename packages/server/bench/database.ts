import { startEmbeddedPostgres, type RunningPostgres } from '@infra/embedded-postgres'
import { createTestDatabase, type TestDatabase } from '@infra/test-harness'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

/** A fresh database on TEST_DATABASE_URL's server, or on an embedded Postgres started for the run. */
export async function benchDatabase(): Promise<{ database: TestDatabase; close(): Promise<void> }> {
  let embedded: RunningPostgres | undefined
  let dataDir: string | undefined
  if (!process.env.TEST_DATABASE_URL && !process.env.DATABASE_URL) {
    dataDir = await mkdtemp(join(tmpdir(), 'infra-bench-pg-'))
    embedded = await startEmbeddedPostgres({ dataDir, persistent: false })
    process.env.TEST_DATABASE_URL = embedded.adminUrl
  }
  const database = await createTestDatabase()
  return {
    database,
    close: async () => {
      await database.drop()
      await embedded?.stop()
      if (dataDir) await rm(dataDir, { recursive: true, force: true })
    },
  }
}

export async function withClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await run(client)
  } finally {
    await client.end()
  }
}
