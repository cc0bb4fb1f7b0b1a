// A real Infra server for a test file: its own empty database, data directory and admin key, and a way to call
// its API. The server's `startServer` is passed in, not imported: the server's own tests use this package, so
// this package cannot depend on the server (and `@infra/server` devDepending on it would make a cycle).
import { API_VERSION, type InfraRole } from '@infra/api-types'
import { randomInt } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestDatabase, type TestDatabase } from './postgres.js'

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const randomText = (length: number) =>
  Array.from({ length }, () => ALPHABET[randomInt(ALPHABET.length)]).join('')

/** A random access key in the server's format `<keyID>.<secret>`, e.g. to configure as the admin key. */
export const randomAccessKey = () => `${randomText(10)}.${randomText(24)}`

let counter = 0
/** A name no other test (or test run against the same database server) uses. */
export const uniqueName = (prefix: string) =>
  `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`

/** What every test server is started with; the caller adds (or overrides) the rest of the server's options. */
export interface TestServerBaseOptions {
  port: number
  host: string
  /** Tests call the API with plain fetch; those about TLS ask for it in their own options. */
  tls: 'insecure-http'
  databaseUrl: string
  dataDir: string
  adminAccessKey: string
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent'
  keyUsageFlushMs: number
  rootKey: string
  /** Every answer checked against its route's schema before the server sends it. */
  checkResponses: true
}

export interface StartedServer {
  url: string
  close(): Promise<void>
}

export interface ApiResponse<T = unknown> {
  status: number
  body: T
  headers: Headers
}

export interface RequestOptions {
  /** The bearer key: the admin key when not given, none when null. */
  key?: string | null | undefined
  body?: unknown
  rawBody?: string
  query?: Record<string, string | string[] | number | boolean>
  headers?: Record<string, string>
}

/** `Body` is the type of answers not given one (tests that poke at untyped JSON make it `any`). */
export interface TestServer<Server extends StartedServer = StartedServer, Body = unknown> {
  url: string
  adminKey: string
  server: Server
  database: TestDatabase
  /** Calls the API as the admin (or `options.key`); any status is an answer. */
  request: <T = Body>(method: string, path: string, options?: RequestOptions) => Promise<ApiResponse<T>>
  /** Like request, failing unless the answer is a success; resolves to the body. */
  api: <T = Body>(method: string, path: string, options?: RequestOptions) => Promise<T>
  /** A new user holding `role` (or no role), with an access key. */
  userWithRole: (
    role: InfraRole | 'none',
    name?: string,
  ) => Promise<{ id: string; name: string; key: string }>
  close: () => Promise<void>
}

/** JSON, or for an NDJSON stream the array of its lines' objects. */
function parseBody(text: string, headers: Headers): unknown {
  if (!text) return undefined
  if (headers.get('content-type')?.startsWith('application/x-ndjson')) {
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as unknown)
  }
  return JSON.parse(text)
}

/**
 * Starts a server with `start(base)`, e.g. `(base) => startServer({ ...base, ...options })`, on its own empty
 * database; `close()` stops it and removes the database and its data directory. Given a `database`, it joins
 * that one instead (a replica, or a restart) and leaves it in place. Servers sharing a database share its root
 * key, as replicas must.
 */
export async function startTestServer<Server extends StartedServer>(
  start: (base: TestServerBaseOptions) => Promise<Server>,
  options: { database?: TestDatabase | undefined; adminKey?: string | undefined } = {},
): Promise<TestServer<Server>> {
  const database = options.database ?? (await createTestDatabase())
  const dataDir = await mkdtemp(join(tmpdir(), 'infra-test-server-'))
  const adminKey = options.adminKey ?? randomAccessKey()
  const removeOwn = async () => {
    if (!options.database) await database.drop()
    await rm(dataDir, { recursive: true, force: true })
  }
  let server: Server
  try {
    server = await start({
      port: 0,
      host: '127.0.0.1',
      tls: 'insecure-http',
      databaseUrl: database.url,
      dataDir,
      adminAccessKey: adminKey,
      logLevel:
        (process.env.INFRA_TEST_LOG_LEVEL as TestServerBaseOptions['logLevel'] | undefined) ?? 'silent',
      keyUsageFlushMs: 100,
      checkResponses: true,
      rootKey: `infra-test-root-key-${database.name}`,
    })
  } catch (error) {
    await removeOwn()
    throw error
  }

  async function request<T>(
    method: string,
    path: string,
    call: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const url = new URL(path, server.url)
    for (const [name, value] of Object.entries(call.query ?? {})) {
      for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(name, String(item))
    }
    const key = call.key === undefined ? adminKey : call.key
    const body = call.rawBody ?? (call.body === undefined ? undefined : JSON.stringify(call.body))
    const headers: Record<string, string> = {
      'Infra-Version': API_VERSION,
      ...(key ? { Authorization: `Bearer ${key}` } : {}),
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...call.headers,
    }
    const response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) })
    const text = await response.text()
    return {
      status: response.status,
      body: parseBody(text, response.headers) as T,
      headers: response.headers,
    }
  }

  async function api<T>(method: string, path: string, call?: RequestOptions): Promise<T> {
    const response = await request<T>(method, path, call)
    if (response.status >= 300) {
      throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`)
    }
    return response.body
  }

  return {
    url: server.url,
    adminKey,
    server,
    database,
    request,
    api,
    userWithRole: async (role, name = uniqueName(role)) => {
      const user = await api<{ id: string }>('POST', '/api/users', { body: { name } })
      if (role !== 'none') {
        await api('POST', '/api/grants', { body: { user: user.id, privilege: role, resource: 'infra' } })
      }
      const key = await api<{ accessKey: string }>('POST', '/api/access-keys', { body: { userID: user.id } })
      return { id: user.id, name, key: key.accessKey }
    },
    close: async () => {
      await server.close()
      await removeOwn()
    },
  }
}
