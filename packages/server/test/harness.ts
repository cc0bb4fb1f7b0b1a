import {
  startTestServer as startServerOnTestDatabase,
  type TestDatabase,
  type TestServer as HarnessTestServer,
} from '@infra/test-harness'
import { startServer, type RunningServer, type ServerOptions } from '../src/server.js'

export { uniqueName, type ApiResponse, type RequestOptions } from '@infra/test-harness'

export type TestServer = HarnessTestServer<RunningServer, any>

/** A real server on its own empty Postgres database, with an admin key; `close()` removes everything. */
export function startTestServer(
  options: Partial<ServerOptions> = {},
  database?: TestDatabase,
): Promise<TestServer> {
  return startServerOnTestDatabase((base) => startServer({ ...base, ...options }), {
    database,
    adminKey: options.adminAccessKey,
  })
}
