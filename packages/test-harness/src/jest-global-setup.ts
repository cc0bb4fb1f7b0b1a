import { startEmbeddedPostgres, type RunningPostgres } from '@infra/embedded-postgres'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EMBEDDED_URL_VARIABLE } from './postgres.js'

declare global {
  var __infraTestPostgres: RunningPostgres | undefined
}

/** Starts one embedded Postgres per jest run unless the environment already names a server. */
export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? process.env[EMBEDDED_URL_VARIABLE]) return
  const dataDir = await mkdtemp(join(tmpdir(), 'infra-test-pg-'))
  const postgres = await startEmbeddedPostgres({ dataDir, persistent: false })
  globalThis.__infraTestPostgres = postgres
  // Workers are forked after global setup and inherit this environment.
  process.env[EMBEDDED_URL_VARIABLE] = postgres.adminUrl
}
