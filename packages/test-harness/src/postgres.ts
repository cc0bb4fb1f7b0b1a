import { findFreePort, startEmbeddedPostgres, type RunningPostgres } from '@infra/embedded-postgres'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

/** Set by the jest global setup when it had to start an embedded Postgres for the run. */
export const EMBEDDED_URL_VARIABLE = 'INFRA_TEST_EMBEDDED_DATABASE_URL'

export interface TestDatabase {
  url: string
  name: string
  drop(): Promise<void>
}

/** The server the tests create their databases on: the one the environment names, else the run's embedded one. */
export function testDatabaseServerUrl(): string {
  const url = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? process.env[EMBEDDED_URL_VARIABLE]
  if (!url) {
    throw new Error(
      'No test Postgres: set TEST_DATABASE_URL, or add @infra/test-harness/jest-global-setup to the jest config',
    )
  }
  return url
}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl)
  url.pathname = `/${database}`
  return url.toString()
}

async function onServer<T>(serverUrl: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') })
  await client.connect()
  try {
    return await run(client)
  } finally {
    await client.end()
  }
}

/**
 * A new, empty database of its own for one test file (on `serverUrl`, by default the run's Postgres);
 * `drop()` removes it and every connection to it.
 */
export async function createTestDatabase(serverUrl = testDatabaseServerUrl()): Promise<TestDatabase> {
  const name = `infra_test_${randomBytes(6).toString('hex')}`
  await onServer(serverUrl, (client) => client.query(`CREATE DATABASE "${name}"`))
  return {
    name,
    url: withDatabase(serverUrl, name),
    drop: async () => {
      await onServer(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))
    },
  }
}

/**
 * A Postgres of its own, for a test that takes the database away (an outage) and brings it back: same port,
 * same data. `stop()` shuts it down as an operator would (fast shutdown: sessions are terminated), `start()`
 * starts it again; `close()` stops it for good and removes its data.
 */
export interface StoppablePostgres {
  /** Connection URL of its `postgres` database, for `createTestDatabase`. */
  adminUrl: string
  stop(): Promise<void>
  /** Stops it as `pg_ctl stop -m immediate` does: to its clients, a crash; `start()` recovers from the WAL. */
  stopImmediately(): Promise<void>
  start(): Promise<void>
  close(): Promise<void>
}

export async function startStoppablePostgres(): Promise<StoppablePostgres> {
  const dataDir = await mkdtemp(join(tmpdir(), 'infra-test-pg-outage-'))
  const port = await findFreePort()
  const launch = () => startEmbeddedPostgres({ dataDir, port, persistent: true })
  let running: RunningPostgres | undefined = await launch()
  const stop = async () => {
    await running?.stop()
    running = undefined
  }
  return {
    adminUrl: running.adminUrl,
    stop,
    stopImmediately: async () => {
      await running?.stopImmediately()
      running = undefined
    },
    start: async () => {
      running ??= await launch()
    },
    close: async () => {
      await stop()
      // Postgres may still be removing its files for a moment after it has stopped.
      await rm(dataDir, { recursive: true, force: true, maxRetries: 5 })
    },
  }
}
