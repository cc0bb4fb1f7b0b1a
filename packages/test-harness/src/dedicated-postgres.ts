import { startEmbeddedPostgres, type RunningPostgres } from '@infra/embedded-postgres'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A Postgres server for one test alone, which it may crash and start again: the run's shared one must stay up. */
export interface DedicatedPostgres {
  /** The URL of its `postgres` database, e.g. for `createTestDatabase(serverUrl)`. */
  adminUrl: string
  /** Stops it as `pg_ctl stop -m immediate` does: to its clients, a crash. */
  stopImmediately(): Promise<void>
  /** Starts it again on the same port and data, recovering from the write-ahead log. */
  start(): Promise<void>
  /** Stops it (when running) and removes its data. */
  close(): Promise<void>
}

export async function startDedicatedPostgres(): Promise<DedicatedPostgres> {
  const dataDir = await mkdtemp(join(tmpdir(), 'infra-test-dedicated-pg-'))
  let running: RunningPostgres | undefined = await startEmbeddedPostgres({ dataDir, persistent: true })
  const { adminUrl, port } = running
  const stopped = async (stop: (postgres: RunningPostgres) => Promise<void>) => {
    const postgres = running
    running = undefined
    if (postgres) await stop(postgres)
  }
  return {
    adminUrl,
    stopImmediately: () => stopped((postgres) => postgres.stopImmediately()),
    start: async () => {
      if (running) throw new Error('the dedicated Postgres is already running')
      running = await startEmbeddedPostgres({ dataDir, persistent: true, port })
    },
    close: async () => {
      await stopped((postgres) => postgres.stop())
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}
