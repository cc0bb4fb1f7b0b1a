import { API_VERSION, type InfraRole } from '@infra/api-types'
import { createTestDatabase, type TestDatabase } from '@infra/test-harness'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { generateKey } from '../src/auth/access-key-secret.js'
import { startServer, type RunningServer, type ServerOptions } from '../src/server.js'

export interface ApiResponse<T = unknown> {
  status: number
  body: T
  headers: Headers
}

export interface RequestOptions {
  key?: string | null | undefined
  body?: unknown
  rawBody?: string
  query?: Record<string, string | string[] | number | boolean>
  headers?: Record<string, string>
}

export interface TestServer {
  url: string
  adminKey: string
  server: RunningServer
  database: TestDatabase
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>
  /** A new user holding `role` (or no role), with an access key. */
  userWithRole(role: InfraRole | 'none', name?: string): Promise<{ id: string; name: string; key: string }>
  close(): Promise<void>
}

let counter = 0
export const uniqueName = (prefix: string) =>
  `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`

/** A real server on its own empty Postgres database, with an admin key; `close()` removes everything. */
export async function startTestServer(
  options: Partial<ServerOptions> = {},
  database?: TestDatabase,
): Promise<TestServer> {
  const db = database ?? (await createTestDatabase())
  const dataDir = await mkdtemp(join(tmpdir(), 'infra-server-test-'))
  const adminKey = options.adminAccessKey ?? generateKey().text
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    databaseUrl: db.url,
    dataDir,
    adminAccessKey: adminKey,
    logger: pino({ level: process.env.INFRA_TEST_LOG_LEVEL ?? 'silent' }),
    keyUsageFlushMs: 100,
    // Servers sharing a database are replicas: they must share the root key too.
    rootKey: `infra-test-root-key-${db.name}`,
    ...options,
  })

  async function request<T>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const url = new URL(path, server.url)
    for (const [name, value] of Object.entries(options.query ?? {})) {
      for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(name, String(item))
    }
    const key = options.key === undefined ? adminKey : options.key
    const headers: Record<string, string> = {
      'Infra-Version': API_VERSION,
      ...(key ? { Authorization: `Bearer ${key}` } : {}),
      ...(options.body !== undefined || options.rawBody !== undefined
        ? { 'Content-Type': 'application/json' }
        : {}),
      ...options.headers,
    }
    const response = await fetch(url, {
      method,
      headers,
      body: options.rawBody ?? (options.body === undefined ? null : JSON.stringify(options.body)),
    })
    const text = await response.text()
    return {
      status: response.status,
      body: (text ? JSON.parse(text) : undefined) as T,
      headers: response.headers,
    }
  }

  async function userWithRole(role: InfraRole | 'none', name = uniqueName(role)) {
    const created = await request<{ id: string }>('POST', '/api/users', { body: { name } })
    if (created.status !== 201) throw new Error(`could not create user: ${JSON.stringify(created.body)}`)
    if (role !== 'none') {
      await request('POST', '/api/grants', {
        body: { user: created.body.id, privilege: role, resource: 'infra' },
      })
    }
    const key = await request<{ accessKey: string }>('POST', '/api/access-keys', {
      body: { userID: created.body.id },
    })
    return { id: created.body.id, name, key: key.body.accessKey }
  }

  return {
    url: server.url,
    adminKey,
    server,
    database: db,
    request,
    userWithRole,
    close: async () => {
      await server.close()
      if (!database) await db.drop()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}
