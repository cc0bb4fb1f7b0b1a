import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { createTestDatabase, type TestDatabase } from '@infra/test-harness'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKey } from '../src/auth/access-key-secret.js'
import { startTestServer, type TestServer } from './harness.js'
import { capturingStderr, collectingLogger, expectError, type Page } from './helpers.js'

let configDir: string
const started: TestServer[] = []
const databases: TestDatabase[] = []

beforeAll(async () => {
  configDir = await mkdtemp(join(tmpdir(), 'infra-bootstrap-test-'))
})

afterEach(async () => {
  while (started.length > 0) await started.pop()!.close()
})

afterAll(async () => {
  for (const database of databases) await database.drop()
  await rm(configDir, { recursive: true, force: true })
})

async function freshDatabase() {
  const database = await createTestDatabase()
  databases.push(database)
  return database
}

/** Starts a server; a database given is shared (and outlives it), as for a restart. */
async function start(options: Parameters<typeof startTestServer>[0], database?: TestDatabase) {
  const server = await startTestServer(options, database)
  started.push(server)
  return server
}

async function stop(server: TestServer) {
  started.splice(started.indexOf(server), 1)
  await server.close()
}

async function writeConfig(name: string, yaml: string) {
  const path = join(configDir, name)
  await writeFile(path, yaml)
  return path
}

/** The state bootstrap is responsible for, as the API shows it to `key`. */
async function snapshot(t: TestServer, key: string) {
  const users = await t.request<Page<{ id: string; name: string }>>('GET', '/api/users', {
    key,
    query: { limit: 1000, showSystem: true },
  })
  const grants = await t.request<Page<{ id: string; user?: string; privilege: string; resource: string }>>(
    'GET',
    '/api/grants',
    { key, query: { limit: 1000, showSystem: true } },
  )
  const keys = await t.request<Page<{ id: string; name: string; issuedForName: string }>>(
    'GET',
    '/api/access-keys',
    { key, query: { limit: 1000, showExpired: true } },
  )
  expect([users.status, grants.status, keys.status]).toEqual([200, 200, 200])
  const nameOf = new Map(users.body.items.map((user) => [user.id, user.name]))
  return {
    users: users.body.items.map((user) => `${user.id}:${user.name}`).sort(),
    grants: grants.body.items
      .map((grant) => `${nameOf.get(grant.user ?? '')}:${grant.privilege}@${grant.resource}`)
      .sort(),
    keys: keys.body.items
      .filter((item) => !item.name.startsWith('key-'))
      .map((item) => `${item.issuedForName}:${item.name}:${item.id}`)
      .sort(),
  }
}

describe('--admin-access-key', () => {
  it('makes user admin an Infra admin that authenticates with the key', async () => {
    const t = await start({})
    const self = await t.request('GET', '/api/users/self')
    expect(self.body.name).toBe('admin')
    const grants = await t.request('GET', '/api/grants', { query: { user: self.body.id } })
    expect(grants.body.items).toEqual([expect.objectContaining({ privilege: 'admin', resource: 'infra' })])
  })

  it('is idempotent across restarts on the same database', async () => {
    const database = await freshDatabase()
    const adminAccessKey = generateKey().text
    const first = await start({ adminAccessKey }, database)
    const before = await snapshot(first, adminAccessKey)
    await stop(first)
    const second = await start({ adminAccessKey }, database)
    expect(await snapshot(second, adminAccessKey)).toEqual(before)
    // The admin, and the system user connectors' keys belong to.
    expect(before.users).toHaveLength(2)
    expect(before.grants).toEqual(['admin:admin@infra', 'connector:connector@infra'])
  })

  it('can be rotated: after a restart with a new key, the new key works and the old one does not', async () => {
    const database = await freshDatabase()
    const oldKey = generateKey().text
    const newKey = generateKey().text
    const first = await start({ adminAccessKey: oldKey }, database)
    const before = await snapshot(first, oldKey)
    await stop(first)
    const second = await start({ adminAccessKey: newKey }, database)
    expect((await second.request('GET', '/api/users/self', { key: newKey })).body.name).toBe('admin')
    expectError(await second.request('GET', '/api/users/self', { key: oldKey }), 401)
    const after = await snapshot(second, newKey)
    expect(after.users).toEqual(before.users)
    expect(after.grants).toEqual(before.grants)
  })

  it('makes an existing user admin an Infra admin again', async () => {
    const database = await freshDatabase()
    const adminAccessKey = generateKey().text
    const first = await start({ adminAccessKey }, database)
    const other = await first.userWithRole('admin')
    const own = (await first.request('GET', '/api/grants', { query: { user: 'self' } })).body.items[0]
    expect((await first.request('DELETE', `/api/grants/${own.id}`)).status).toBe(204)
    expectError(await first.request('GET', '/api/users'), 403)
    await stop(first)
    const second = await start({ adminAccessKey }, database)
    expect((await second.request('GET', '/api/users')).status).toBe(200)
    expect((await second.request('GET', '/api/users', { key: other.key })).status).toBe(200)
  })
})

describe('the configuration file', () => {
  const bobKey = generateKey().text

  const config = (alicePassword: string) => `
users:
  - name: alice@example.com
    password: ${alicePassword}
    role: view
  - name: bob
    accessKey: ${bobKey}
    role: admin
  - name: carol
`

  it('declares users with passwords, access keys and roles', async () => {
    const configFile = await writeConfig('users.yaml', config('alice-password'))
    const { result: t, stderr } = await capturingStderr(() =>
      start({ adminAccessKey: undefined, configFile }),
    )
    expect(stderr).not.toContain('--key')

    // bob: an admin by access key
    expect((await t.request('GET', '/api/users/self', { key: bobKey })).body.name).toBe('bob')
    expect((await t.request('POST', '/api/groups', { key: bobKey, body: { name: 'from-bob' } })).status).toBe(
      201,
    )

    // alice: a viewer by password, not a one-time one
    const login = await t.request('POST', '/api/login', {
      key: null,
      body: { passwordCredentials: { name: 'alice@example.com', password: 'alice-password' } },
    })
    expect(login.status).toBe(201)
    expect(login.body.passwordUpdateRequired).toBeUndefined()
    const alice = login.body.accessKey
    expect((await t.request('GET', '/api/users', { key: alice })).status).toBe(200)
    expectError(await t.request('POST', '/api/groups', { key: alice, body: { name: 'from-alice' } }), 403)

    // carol: exists, with no role
    const users = await t.request('GET', '/api/users', { key: bobKey, query: { limit: 1000 } })
    expect(users.body.items.map((user: { name: string }) => user.name).sort()).toEqual(
      ['alice@example.com', 'bob', 'carol'].sort(),
    )
    const carol = users.body.items.find((user: { name: string }) => user.name === 'carol')
    expect(
      (await t.request('GET', '/api/grants', { key: bobKey, query: { user: carol.id } })).body.items,
    ).toEqual([])
  })

  it('is applied idempotently at every start, picking up changed passwords', async () => {
    const database = await freshDatabase()
    const configFile = await writeConfig('restart.yaml', config('first-password'))
    const first = await start({ adminAccessKey: undefined, configFile }, database)
    const before = await snapshot(first, bobKey)
    await stop(first)

    const again = await start({ adminAccessKey: undefined, configFile }, database)
    expect(await snapshot(again, bobKey)).toEqual(before)
    await stop(again)

    const changed = await writeConfig('restart-changed.yaml', config('second-password'))
    const third = await start({ adminAccessKey: undefined, configFile: changed }, database)
    expect(await snapshot(third, bobKey)).toEqual(before)
    const login = (password: string) =>
      third.request('POST', '/api/login', {
        key: null,
        body: { passwordCredentials: { name: 'alice@example.com', password } },
      })
    expectError(await login('first-password'), 401)
    expect((await login('second-password')).status).toBe(201)
  })

  it('refuses to start with an invalid file', async () => {
    const configFile = await writeConfig('bad.yaml', 'users:\n  - name: dave\n    role: superuser\n')
    await expect(start({ adminAccessKey: undefined, configFile })).rejects.toThrow(/role/)
  })
})

describe('the first start with nothing configured', () => {
  it('creates admin and prints a one-time admin key to stderr, once', async () => {
    const database = await freshDatabase()
    const log = collectingLogger()
    const { result: first, stderr } = await capturingStderr(() =>
      start({ adminAccessKey: undefined, logger: log.logger }, database),
    )
    const key = /infra login \S+ --key (\S+)/.exec(stderr)?.[1]
    expect(key).toMatch(/^[0-9A-Za-z]{10}\.[0-9A-Za-z]{24}$/)
    expect(log.text()).not.toContain(key!)
    expect(log.text()).not.toContain(key!.split('.')[1])

    const self = await first.request('GET', '/api/users/self', { key })
    expect(self.body.name).toBe('admin')
    expect((await first.request('GET', '/api/users', { key })).status).toBe(200)
    const keys = await first.request('GET', '/api/access-keys', { key, query: { userID: 'self' } })
    // Valid for 24 hours.
    expect(Date.parse(keys.body.items[0].expires)).toBeLessThanOrEqual(Date.now() + 24 * 3_600_000 + 1000)
    const before = await snapshot(first, key!)
    await stop(first)

    const { result: second, stderr: again } = await capturingStderr(() =>
      start({ adminAccessKey: undefined }, database),
    )
    expect(again).not.toContain('--key')
    expect(await snapshot(second, key!)).toEqual(before)
  })
})

describe('a start that fails partway', () => {
  it('leaves no connection to the database behind', async () => {
    const database = await freshDatabase()
    await start({ rootKey: 'the-root-key-of-the-first-server' }, database)
    while (started.length > 0) await started.pop()!.close()
    // Another root key cannot decrypt the stored signing keys: startup fails after connecting.
    await expect(startTestServer({ rootKey: 'a-different-root-key-entirely' }, database)).rejects.toThrow(
      /root key/,
    )
    const { default: pg } = await import('pg')
    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    const { rows } = await client.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    )
    await client.end()
    expect(rows[0]?.n).toBe(0)
  })
})
