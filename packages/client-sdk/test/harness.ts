import type { InfraRole } from '@infra/api-types'
import { startServer, type RunningServer, type ServerOptions } from '@infra/server'
import { createTestDatabase, type TestDatabase } from '@infra/test-harness'
import { randomInt } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InfraClient, type InfraClientOptions } from '../src/node.js'

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const randomText = (length: number) =>
  Array.from({ length }, () => ALPHABET[randomInt(ALPHABET.length)]).join('')

/** An access key in the server's format, to hand it as the configured admin key. */
export const randomAccessKey = () => `${randomText(10)}.${randomText(24)}`

let counter = 0
export const uniqueName = (prefix: string) =>
  `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`

export interface TestServer {
  url: string
  adminKey: string
  /** A client holding the admin key. */
  admin: InfraClient
  server: RunningServer
  database: TestDatabase
  client(options?: Partial<InfraClientOptions>): InfraClient
  /** A new user holding `role` (or none), with a client using their own access key. */
  userWithRole(
    role: InfraRole | 'none',
  ): Promise<{ id: string; name: string; key: string; client: InfraClient }>
  close(): Promise<void>
}

/**
 * A real Infra server on its own empty Postgres database; `close()` removes both.
 * Given a `database`, it joins that one instead (another instance, or a restart) and leaves it in place.
 */
export async function startTestServer(
  options: Partial<ServerOptions> = {},
  shared?: TestDatabase,
): Promise<TestServer> {
  const database = shared ?? (await createTestDatabase())
  const dataDir = await mkdtemp(join(tmpdir(), 'infra-sdk-test-'))
  const adminKey = options.adminAccessKey ?? randomAccessKey()
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    databaseUrl: database.url,
    dataDir,
    adminAccessKey: adminKey,
    logLevel: (process.env.INFRA_TEST_LOG_LEVEL as ServerOptions['logLevel']) ?? 'silent',
    keyUsageFlushMs: 100,
    // Servers sharing a database are replicas (or a restart): they must share the root key too.
    rootKey: `infra-sdk-test-root-key-${database.name}`,
    ...options,
  })
  const client = (overrides: Partial<InfraClientOptions> = {}) =>
    new InfraClient({ server: server.url, accessKey: adminKey, ...overrides })
  const admin = client()

  return {
    url: server.url,
    adminKey,
    admin,
    server,
    database,
    client,
    userWithRole: async (role) => {
      const name = uniqueName(role)
      const user = await admin.users.create({ name })
      if (role !== 'none') await admin.grants.create({ user: user.id, privilege: role, resource: 'infra' })
      const key = await admin.accessKeys.create({ userID: user.id })
      return { id: user.id, name, key: key.accessKey, client: client({ accessKey: key.accessKey }) }
    },
    close: async () => {
      await server.close()
      if (!shared) await database.drop()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}
