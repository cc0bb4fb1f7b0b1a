import { routes, type RouteName } from '@infra/api-types'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { kubeRequestEvent } from '@infra/test-harness'
import { startTestServer, uniqueName, type RequestOptions, type TestServer } from './harness.js'

type CallerKind = 'anonymous' | 'none' | 'view' | 'connector' | 'auditor' | 'admin'
const CALLERS: CallerKind[] = ['anonymous', 'none', 'view', 'connector', 'auditor', 'admin']

interface Prepared {
  path: string
  options?: RequestOptions
}

interface Case {
  /** Makes a fresh valid request (fresh resources for destructive routes) for one caller. */
  prepare(caller: CallerKind): Prepared | Promise<Prepared>
  expect: Record<CallerKind, number>
}

const ANYONE = (status: number) => ({
  anonymous: status,
  none: status,
  view: status,
  connector: status,
  auditor: status,
  admin: status,
})
const ADMIN_ONLY = (status: number) => ({
  anonymous: 401,
  none: 403,
  view: 403,
  connector: 403,
  auditor: 403,
  admin: status,
})
const AUTHENTICATED = (status: number) => ({
  anonymous: 401,
  none: status,
  view: status,
  connector: status,
  auditor: status,
  admin: status,
})
const AUDIT_READERS = (status: number) => ({ ...ADMIN_ONLY(status), auditor: status })

let t: TestServer
const keys = {} as Record<CallerKind, string | null>
const ids = {} as Record<CallerKind, string>

async function created(path: string, body: unknown): Promise<string> {
  const response = await t.request<{ id: string }>('POST', path, { body })
  if (response.status !== 201) throw new Error(`setup ${path} failed: ${JSON.stringify(response.body)}`)
  return response.body.id
}

const newUser = () => created('/api/users', { name: uniqueName('matrix') })
const newGroup = () => created('/api/groups', { name: uniqueName('group') })
const newDestination = () =>
  created('/api/destinations', {
    name: uniqueName('dest'),
    uniqueID: uniqueName('uid'),
    connection: { url: 'x', ca: '' },
  })
const newProvider = () =>
  created('/api/providers', {
    name: uniqueName('idp'),
    url: 'https://idp.example.com',
    clientID: 'c',
    clientSecret: 's',
  })
const destinationBody = () => ({ name: uniqueName('dest'), uniqueID: 'cluster-ca-hash' })

const cases: Record<RouteName, Case> = {
  listUsers: {
    prepare: () => ({ path: '/api/users' }),
    expect: { ...ADMIN_ONLY(200), view: 200, connector: 200 },
  },
  createUser: {
    prepare: () => ({ path: '/api/users', options: { body: { name: uniqueName('new') } } }),
    expect: ADMIN_ONLY(201),
  },
  getUser: { prepare: () => ({ path: '/api/users/self' }), expect: AUTHENTICATED(200) },
  updateUser: {
    prepare: (caller) => ({
      path: `/api/users/${caller === 'anonymous' ? 'self' : ids[caller]}`,
      options: { body: { password: 'a-new-password' } },
    }),
    // Without admin the old password is required; these users have none, so they get a field error.
    expect: { anonymous: 401, none: 400, view: 400, connector: 400, auditor: 400, admin: 200 },
  },
  deleteUser: { prepare: async () => ({ path: `/api/users/${await newUser()}` }), expect: ADMIN_ONLY(204) },

  listGroups: { prepare: () => ({ path: '/api/groups' }), expect: AUTHENTICATED(200) },
  createGroup: {
    prepare: () => ({ path: '/api/groups', options: { body: { name: uniqueName('g') } } }),
    expect: ADMIN_ONLY(201),
  },
  getGroup: {
    prepare: async () => ({ path: `/api/groups/${await newGroup()}` }),
    expect: { anonymous: 401, none: 403, view: 200, connector: 200, auditor: 403, admin: 200 },
  },
  deleteGroup: {
    prepare: async () => ({ path: `/api/groups/${await newGroup()}` }),
    expect: ADMIN_ONLY(204),
  },
  updateGroupUsers: {
    prepare: async () => ({
      path: `/api/groups/${await newGroup()}/users`,
      options: { body: { usersToAdd: [await newUser()] } },
    }),
    expect: ADMIN_ONLY(204),
  },

  listGrants: { prepare: () => ({ path: '/api/grants' }), expect: AUTHENTICATED(200) },
  createGrant: {
    prepare: async () => ({
      path: '/api/grants',
      options: { body: { user: await newUser(), privilege: 'view', resource: 'prod' } },
    }),
    expect: ADMIN_ONLY(201),
  },
  patchGrants: {
    prepare: async () => ({
      path: '/api/grants',
      options: {
        body: { grantsToAdd: [{ user: await newUser(), privilege: 'edit', resource: 'prod.web' }] },
      },
    }),
    expect: ADMIN_ONLY(204),
  },
  getGrant: {
    prepare: async () => {
      const grant = await t.request<{ id: string }>('POST', '/api/grants', {
        body: { user: await newUser(), privilege: 'view', resource: 'stage' },
      })
      return { path: `/api/grants/${grant.body.id}` }
    },
    expect: { anonymous: 401, none: 403, view: 200, connector: 200, auditor: 403, admin: 200 },
  },
  deleteGrant: {
    prepare: async () => {
      const grant = await t.request<{ id: string }>('POST', '/api/grants', {
        body: { user: await newUser(), privilege: 'view', resource: 'stage' },
      })
      return { path: `/api/grants/${grant.body.id}` }
    },
    expect: ADMIN_ONLY(204),
  },

  listProviders: { prepare: () => ({ path: '/api/providers' }), expect: ANYONE(200) },
  createProvider: {
    prepare: () => ({
      path: '/api/providers',
      options: {
        body: {
          name: uniqueName('okta'),
          url: 'example.okta.com',
          clientID: 'client',
          clientSecret: 'secret',
        },
      },
    }),
    expect: ADMIN_ONLY(201),
  },
  getProvider: {
    prepare: async () => ({ path: `/api/providers/${await newProvider()}` }),
    expect: ANYONE(200),
  },
  updateProvider: {
    prepare: async () => ({
      path: `/api/providers/${await newProvider()}`,
      options: {
        body: { name: uniqueName('idp'), url: 'https://idp.example.com', clientID: 'c2', clientSecret: 's2' },
      },
    }),
    expect: ADMIN_ONLY(200),
  },
  patchProvider: {
    prepare: async () => ({
      path: `/api/providers/${await newProvider()}`,
      options: { body: { clientSecret: 'rotated' } },
    }),
    expect: ADMIN_ONLY(200),
  },
  deleteProvider: {
    prepare: async () => ({ path: `/api/providers/${await newProvider()}` }),
    expect: ADMIN_ONLY(204),
  },

  listDestinations: { prepare: () => ({ path: '/api/destinations' }), expect: AUTHENTICATED(200) },
  createDestination: {
    prepare: () => ({ path: '/api/destinations', options: { body: destinationBody() } }),
    expect: { ...ADMIN_ONLY(201), connector: 201 },
  },
  getDestination: {
    prepare: async () => ({ path: `/api/destinations/${await newDestination()}` }),
    expect: AUTHENTICATED(200),
  },
  updateDestination: {
    prepare: async () => ({
      path: `/api/destinations/${await newDestination()}`,
      options: { body: destinationBody() },
    }),
    expect: { ...ADMIN_ONLY(200), connector: 200 },
  },
  deleteDestination: {
    prepare: async () => ({ path: `/api/destinations/${await newDestination()}` }),
    expect: ADMIN_ONLY(204),
  },

  listAccessKeys: { prepare: () => ({ path: '/api/access-keys' }), expect: AUTHENTICATED(200) },
  createAccessKey: {
    prepare: () => ({
      path: '/api/access-keys',
      options: { body: { userID: 'self', name: uniqueName('k') } },
    }),
    expect: AUTHENTICATED(201),
  },
  deleteAccessKey: {
    prepare: async (caller) => {
      // Each caller revokes a second key of their own (the admin key would end the test's admin).
      const owner = caller === 'anonymous' ? 'admin' : caller
      const key = await t.request<{ id: string }>('POST', '/api/access-keys', {
        key: keys[owner],
        body: { userID: 'self', name: uniqueName('k') },
      })
      return { path: `/api/access-keys/${key.body.id}` }
    },
    expect: AUTHENTICATED(204),
  },

  login: {
    prepare: () => ({ path: '/api/login', options: { body: { accessKey: keys.admin } } }),
    expect: ANYONE(201),
  },
  logout: {
    prepare: async (caller) => {
      if (caller === 'anonymous') return { path: '/api/logout' }
      // Log out a throwaway session of the caller, never the key the rest of the test uses.
      const session = await t.request<{ accessKey: string }>('POST', '/api/login', {
        key: null,
        body: { accessKey: keys[caller] },
      })
      return { path: '/api/logout', options: { key: session.body.accessKey } }
    },
    expect: AUTHENTICATED(204),
  },
  createToken: { prepare: () => ({ path: '/api/tokens' }), expect: AUTHENTICATED(201) },
  getJwks: { prepare: () => ({ path: '/.well-known/jwks.json' }), expect: ANYONE(200) },
  getVersion: { prepare: () => ({ path: '/api/version' }), expect: ANYONE(200) },

  ingestAuditEvents: {
    prepare: async () => {
      const destination = await t.api<{ name: string }>('GET', `/api/destinations/${await newDestination()}`)
      return {
        path: '/api/audit/events',
        options: { body: { destination: destination.name, events: [kubeRequestEvent()] } },
      }
    },
    expect: { ...ADMIN_ONLY(403), connector: 200, admin: 403 },
  },
  listAuditEvents: { prepare: () => ({ path: '/api/audit/events' }), expect: AUDIT_READERS(200) },
  getAuditEvent: {
    prepare: async () => {
      // Listing is itself recorded, so there is always an event to get.
      await t.api('GET', '/api/audit/events')
      const page = await t.api<{ items: { id: string }[] }>('GET', '/api/audit/events?order=newest&limit=1')
      return { path: `/api/audit/events/${page.items[0]?.id}` }
    },
    expect: AUDIT_READERS(200),
  },
  streamAuditEvents: { prepare: () => ({ path: '/api/audit/stream' }), expect: AUDIT_READERS(200) },
  getAuditHead: { prepare: () => ({ path: '/api/audit/head' }), expect: AUDIT_READERS(200) },
  verifyAudit: { prepare: () => ({ path: '/api/audit/verify' }), expect: AUDIT_READERS(200) },
}

beforeAll(async () => {
  t = await startTestServer()
  keys.anonymous = null
  keys.admin = t.adminKey
  ids.admin = (await t.request<{ id: string }>('GET', '/api/users/self')).body.id
  for (const role of ['none', 'view', 'connector', 'auditor'] as const) {
    const user = await t.userWithRole(role)
    keys[role] = user.key
    ids[role] = user.id
  }
})

afterAll(() => t.close())

describe('the role matrix over the whole route table', () => {
  it('has a case for every route', () => {
    expect(Object.keys(cases).sort()).toEqual(Object.keys(routes).sort())
  })

  for (const name of Object.keys(routes) as RouteName[]) {
    const route = routes[name]
    it(`${route.method} ${route.path} (${name})`, async () => {
      const seen: Record<string, number> = {}
      for (const caller of CALLERS) {
        const { path, options } = await cases[name].prepare(caller)
        const key = options?.key !== undefined ? options.key : keys[caller]
        const response = await t.request(route.method, path, {
          ...options,
          key: caller === 'anonymous' ? null : key,
        })
        seen[caller] = response.status
      }
      expect(seen).toEqual(cases[name].expect)
    })
  }
})
