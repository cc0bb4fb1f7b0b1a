import type { InfraRole } from '@infra/api-types'
import { startServer, type RunningServer, type ServerOptions } from '@infra/server'
import {
  startTestServer as startServerOnTestDatabase,
  type TestDatabase,
  type TestServer as HarnessTestServer,
} from '@infra/test-harness'
import { InfraClient, type InfraClientOptions } from '../src/node.js'

export { uniqueName } from '@infra/test-harness'

export interface TestServer extends Omit<HarnessTestServer<RunningServer>, 'userWithRole'> {
  /** A client holding the admin key. */
  admin: InfraClient
  client(options?: Partial<InfraClientOptions>): InfraClient
  /** A new user holding `role` (or none), with a client using their own access key. */
  userWithRole(
    role: InfraRole | 'none',
  ): Promise<{ id: string; name: string; key: string; client: InfraClient }>
}

/**
 * A real Infra server on its own empty Postgres database; `close()` removes both.
 * Given a `database`, it joins that one instead (another instance, or a restart) and leaves it in place.
 */
export async function startTestServer(
  options: Partial<ServerOptions> = {},
  shared?: TestDatabase,
): Promise<TestServer> {
  const infra = await startServerOnTestDatabase((base) => startServer({ ...base, ...options }), {
    database: shared,
    adminKey: options.adminAccessKey,
  })
  const client = (overrides: Partial<InfraClientOptions> = {}) =>
    new InfraClient({ server: infra.url, accessKey: infra.adminKey, ...overrides })
  return {
    ...infra,
    admin: client(),
    client,
    userWithRole: async (role) => {
      const user = await infra.userWithRole(role)
      return { ...user, client: client({ accessKey: user.key }) }
    },
  }
}
