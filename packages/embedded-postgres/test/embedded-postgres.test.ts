import { describe, expect, it } from '@jest/globals'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { findFreePort, startEmbeddedPostgres } from '../src/index.js'

describe('startEmbeddedPostgres', () => {
  it('runs a real Postgres that keeps its data across restarts when persistent', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'infra-embedded-pg-'))
    try {
      const first = await startEmbeddedPostgres({ dataDir, persistent: true })
      const client = new pg.Client({ connectionString: first.adminUrl })
      await client.connect()
      await client.query('CREATE TABLE kept (value text)')
      await client.query("INSERT INTO kept VALUES ('still here')")
      const version = await client.query<{ server_version: string }>('SHOW server_version')
      expect(Number.parseInt(version.rows[0]?.server_version ?? '', 10)).toBeGreaterThanOrEqual(15)
      await client.end()
      await first.stop()

      const second = await startEmbeddedPostgres({ dataDir, persistent: true })
      const again = new pg.Client({ connectionString: second.adminUrl })
      await again.connect()
      expect((await again.query('SELECT value FROM kept')).rows).toEqual([{ value: 'still here' }])
      await again.end()
      await second.stop()
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  }, 60_000)

  it('stops immediately, dropping connections, and recovers what was committed when started again', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'infra-embedded-pg-'))
    try {
      const port = await findFreePort()
      const first = await startEmbeddedPostgres({ dataDir, persistent: true, port })
      const client = new pg.Client({ connectionString: first.adminUrl })
      client.on('error', () => undefined)
      await client.connect()
      await client.query('CREATE TABLE kept (value text)')
      await client.query("INSERT INTO kept VALUES ('committed')")
      await first.stopImmediately()
      await expect(client.query('SELECT 1')).rejects.toThrow()

      const second = await startEmbeddedPostgres({ dataDir, persistent: true, port })
      expect(second.adminUrl).toBe(first.adminUrl)
      const again = new pg.Client({ connectionString: second.adminUrl })
      await again.connect()
      expect((await again.query('SELECT value FROM kept')).rows).toEqual([{ value: 'committed' }])
      await again.end()
      await second.stop()
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  }, 60_000)
})
