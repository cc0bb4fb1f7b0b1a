import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { CLI_VERSION, run, sandbox, startTestServer, type Sandbox, type TestServer } from './helpers.js'

let t: TestServer
let box: Sandbox
const infra = (...args: string[]) => run(args, box.env)
const ok = (stdout: unknown, stderr = '') => ({ code: 0, stdout, stderr })
const failure = (message: string, hint?: string) => ({
  code: 1,
  stdout: '',
  stderr: `error: ${message}\n${hint === undefined ? '' : `hint: ${hint}\n`}`,
})

beforeAll(async () => {
  t = await startTestServer()
  box = sandbox()
  expect((await infra('login', t.url, '--key', t.adminKey)).code).toBe(0)
})
afterAll(async () => {
  await t.close()
  box.cleanup()
})

describe('users', () => {
  it('add, list (table and JSON), edit --password, remove', async () => {
    const added = await infra('users', 'add', 'johndoe@example.com')
    expect(added.code).toBe(0)
    expect(added.stdout).toMatch(/^Added user "johndoe@example.com"\nOne-time password: \S{8,}\n$/)
    expect(added.stderr).toBe('They must change it when they first log in (infra login).\n')

    // The server records use in batches: the admin was seen "just now", or not yet.
    expect(await infra('users', 'list')).toEqual(
      ok(
        expect.stringMatching(
          /^NAME {17}LAST SEEN\nadmin {16}(just now|never)\njohndoe@example\.com {2}never\n$/,
        ),
      ),
    )
    const users = await t.api('GET', '/api/users')
    // lastSeenAt moves with every request of the admin, so it is only checked to be there.
    const seen = (list: { lastSeenAt?: string }[]) =>
      list.map((user) => ({ ...user, lastSeenAt: user.lastSeenAt === undefined ? undefined : 'seen' }))
    expect(seen(JSON.parse((await infra('users', 'list', '--format', 'json')).stdout))).toEqual(
      seen(users.items),
    )

    expect(await infra('users', 'add', 'johndoe@example.com')).toEqual(
      failure('a user named "johndoe@example.com" already exists', 'see infra users list'),
    )
    expect(await infra('users', 'add', 'has space')).toEqual(
      failure('invalid name: must not contain whitespace or control characters'),
    )
    // Kubernetes' own identities (system:masters, …) are nobody's to take, in any letter case.
    expect(await infra('users', 'add', 'System:admin')).toEqual(
      failure('invalid name: must not begin with "system:" (reserved for Kubernetes)'),
    )

    // An admin setting someone's password makes it one-time; it comes from standard input in scripts.
    expect(
      await run(['users', 'edit', 'johndoe@example.com', '--password'], box.env, 'set-by-admin-1\n'),
    ).toEqual(
      ok(
        'Updated the password of "johndoe@example.com": it is a one-time password they must change at their next login\n',
      ),
    )
    const login = await t.api('POST', '/api/login', {
      body: {
        passwordCredentials: { name: 'johndoe@example.com', password: 'set-by-admin-1' },
      },
    })
    expect(login.passwordUpdateRequired).toBe(true)
    expect(await infra('users', 'edit', 'johndoe@example.com')).toEqual(
      failure('nothing to change', 'pass --password to set a new password'),
    )
    expect(await infra('users', 'edit', 'nobody@example.com', '--password')).toEqual(
      failure('unknown user "nobody@example.com"', 'see infra users list'),
    )

    expect(await infra('users', 'remove', 'johndoe@example.com')).toEqual(
      ok('Removed user "johndoe@example.com"\n'),
    )
    expect(await infra('users', 'remove', 'johndoe@example.com')).toEqual(
      failure('unknown user "johndoe@example.com"', 'see infra users list (--force succeeds anyway)'),
    )
    expect(await infra('users', 'remove', 'johndoe@example.com', '--force')).toEqual(ok(''))
  })

  it('the last admin cannot be removed', async () => {
    const result = await infra('users', 'remove', 'admin')
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^error: .*admin.*\n$/)
  })
})

describe('groups', () => {
  it('add, adduser, list, removeuser, remove', async () => {
    await infra('users', 'add', 'member@example.com')
    expect(await infra('groups', 'add', 'Engineering')).toEqual(ok('Added group "Engineering"\n'))
    expect(await infra('groups', 'add', 'Engineering')).toEqual(
      failure('a group named "Engineering" already exists', 'see infra groups list'),
    )
    expect(await infra('groups', 'add', 'system:masters')).toEqual(
      failure('invalid name: must not begin with "system:" (reserved for Kubernetes)'),
    )
    expect(await infra('groups', 'adduser', 'member@example.com', 'Engineering')).toEqual(
      ok('Added "member@example.com" to group "Engineering"\n'),
    )
    expect(await infra('groups', 'list')).toEqual(
      ok(
        expect.stringMatching(/^NAME {9}USERS {2}CREATED\nEngineering {2}1 {6}(just now|\d+ seconds ago)\n$/),
      ),
    )
    const groups = await t.api('GET', '/api/groups')
    expect(JSON.parse((await infra('groups', 'list', '--format', 'json')).stdout)).toEqual(groups.items)
    expect(await infra('groups', 'adduser', 'ghost@example.com', 'Engineering')).toEqual(
      failure('unknown user "ghost@example.com"', 'see infra users list'),
    )
    expect(await infra('groups', 'adduser', 'member@example.com', 'Nope')).toEqual(
      failure('unknown group "Nope"', 'see infra groups list'),
    )
    expect(await infra('groups', 'removeuser', 'member@example.com', 'Engineering')).toEqual(
      ok('Removed "member@example.com" from group "Engineering"\n'),
    )
    expect(await infra('groups', 'removeuser', 'member@example.com', 'Engineering')).toEqual(
      failure('"member@example.com" is not in group "Engineering"', 'see infra users list, or pass --force'),
    )
    expect(await infra('groups', 'removeuser', 'member@example.com', 'Engineering', '--force')).toEqual(
      ok(''),
    )
    expect(await infra('groups', 'remove', 'Engineering')).toEqual(ok('Removed group "Engineering"\n'))
    expect(await infra('groups', 'remove', 'Engineering')).toEqual(
      failure('unknown group "Engineering"', 'see infra groups list (--force succeeds anyway)'),
    )
    expect(await infra('groups', 'remove', 'Engineering', '--force')).toEqual(ok(''))
    expect(await infra('groups', 'list')).toEqual({ code: 0, stdout: '', stderr: 'No groups.\n' })
  })
})

describe('destinations and grants', () => {
  beforeAll(async () => {
    await t.api('POST', '/api/destinations', {
      body: {
        name: 'staging',
        uniqueID: 'staging-cluster',
        connection: { url: '10.0.0.1:443', ca: '' },
        resources: ['default', 'kube-system'],
        roles: ['cluster-admin', 'view', 'connect'],
      },
    })
    await infra('users', 'add', 'janedoe@example.com')
    await infra('groups', 'add', 'group-a')
  })

  it('destinations list and remove', async () => {
    await t.api('POST', '/api/destinations', { body: { name: 'docker-desktop', uniqueID: 'dd' } })
    const list = await infra('destinations', 'list')
    const recently = '(just now|\\d+ seconds ago)'
    expect(list).toEqual(
      ok(
        expect.stringMatching(
          new RegExp(
            '^NAME {12}URL {11}CONNECTED  LAST SEEN\\n' +
              `docker-desktop  - {13}yes {8}${recently}\\n` +
              `staging {9}10\\.0\\.0\\.1:443  yes {8}${recently}\\n$`,
          ),
        ),
      ),
    )
    const destinations = await t.api('GET', '/api/destinations')
    const json = JSON.parse((await infra('destinations', 'list', '--format', 'json')).stdout)
    expect(json.map((d: { name: string }) => d.name)).toEqual(
      destinations.items.map((d: { name: string }) => d.name),
    )
    expect(json[0]).toEqual({ ...destinations.items[0], lastSeen: expect.any(String) })
    expect(await infra('destinations', 'remove', 'docker-desktop')).toEqual(
      ok('Removed destination "docker-desktop"\n'),
    )
    expect(await infra('destinations', 'remove', 'docker-desktop')).toEqual(
      failure(
        'unknown destination "docker-desktop"',
        'see infra destinations list (--force succeeds anyway)',
      ),
    )
    expect(await infra('destinations', 'remove', 'docker-desktop', '--force')).toEqual(ok(''))
  })

  it('grants add, list, remove for users and groups, with roles and --force', async () => {
    expect(await infra('grants', 'add', 'janedoe@example.com', 'staging')).toEqual(
      ok('Granted user "janedoe@example.com" connect access to staging\n'),
    )
    expect(await infra('grants', 'add', 'janedoe@example.com', 'staging')).toEqual(
      ok('User "janedoe@example.com" already has connect access to staging\n'),
    )
    expect(
      await infra('grants', 'add', 'group-a', 'staging.kube-system', '--group', '--role', 'view'),
    ).toEqual(ok('Granted group "group-a" view access to staging.kube-system\n'))
    // Names Kubernetes reserves: never "unknown, pass --force to create it", since nobody can create them.
    const reserved = failure('invalid name: must not begin with "system:" (reserved for Kubernetes)')
    expect(await infra('grants', 'add', 'system:masters', 'staging', '--group', '--role', 'view')).toEqual(
      reserved,
    )
    expect(await infra('grants', 'add', 'System:admin', 'staging', '--force')).toEqual(reserved)
    expect(await infra('grants', 'add', 'janedoe@example.com', 'infra', '--role', 'admin')).toEqual(
      ok('Granted user "janedoe@example.com" admin access to infra\n'),
    )
    expect(await infra('grants', 'list')).toEqual(
      ok(
        'USER                 ACCESS   DESTINATION\n' +
          'admin                admin    infra\n' +
          'janedoe@example.com  admin    infra\n' +
          'janedoe@example.com  connect  staging\n' +
          '\n' +
          'GROUP    ACCESS  DESTINATION\n' +
          'group-a  view    staging.kube-system\n',
      ),
    )
    expect(await infra('grants', 'list', '--destination', 'staging')).toEqual(
      ok(
        'USER                 ACCESS   DESTINATION\njanedoe@example.com  connect  staging\n\n' +
          'GROUP    ACCESS  DESTINATION\ngroup-a  view    staging.kube-system\n',
      ),
    )
    const json = JSON.parse(
      (await infra('grants', 'list', '--destination', 'staging', '--format', 'json')).stdout,
    )
    const grants = await t.api('GET', '/api/grants')
    const staging = grants.items.filter((g: { resource: string }) => g.resource.startsWith('staging'))
    expect(json).toEqual(
      staging.map((g: { user?: string }) =>
        g.user ? { ...g, userName: 'janedoe@example.com' } : { ...g, groupName: 'group-a' },
      ),
    )

    // Unknown user, destination, role or namespace: refused unless --force.
    expect(await infra('grants', 'add', 'ghost@example.com', 'staging')).toEqual(
      failure('unknown user "ghost@example.com"', 'see infra users list, or pass --force to create it'),
    )
    expect(await infra('grants', 'add', 'janedoe@example.com', 'production')).toEqual(
      failure(
        'unknown destination "production"',
        'see infra destinations list, or pass --force to grant it before it connects',
      ),
    )
    expect(await infra('grants', 'add', 'janedoe@example.com', 'staging', '--role', 'superuser')).toEqual(
      failure(
        'unknown role "superuser" for staging',
        'known: cluster-admin, view, connect (or pass --force)',
      ),
    )
    expect(await infra('grants', 'add', 'janedoe@example.com', 'staging.nope')).toEqual(
      failure('unknown namespace "nope" in staging', 'known: default, kube-system (or pass --force)'),
    )
    expect(await infra('grants', 'add', 'janedoe@example.com', 'infra', '--role', 'connect')).toEqual(
      failure('"connect" is not a role of Infra itself', 'use one of: admin, view, connector, auditor'),
    )
    expect(await infra('grants', 'add', 'janedoe@example.com', 'bad.name.here')).toMatchObject({ code: 1 })
    const forced = await infra(
      'grants',
      'add',
      'ghost@example.com',
      'production',
      '--role',
      'superuser',
      '--force',
    )
    expect(forced.code).toBe(0)
    expect(forced.stdout).toMatch(
      /^One-time password: \S{8,}\nGranted user "ghost@example.com" superuser access to production\n$/,
    )
    expect(forced.stderr).toBe('Created user "ghost@example.com"\n')
    expect((await infra('grants', 'add', 'group-b', 'production', '--group', '--force')).stderr).toBe(
      'Created group "group-b"\n',
    )

    // Remove: one role, all roles, groups, and the not-found cases.
    await infra('grants', 'add', 'janedoe@example.com', 'staging', '--role', 'view')
    expect(await infra('grants', 'remove', 'janedoe@example.com', 'staging', '--role', 'view')).toEqual(
      ok('Revoked view access to staging from "janedoe@example.com"\n'),
    )
    await infra('grants', 'add', 'janedoe@example.com', 'staging', '--role', 'view')
    expect(await infra('grants', 'remove', 'janedoe@example.com', 'staging')).toEqual(
      ok(
        'Revoked connect access to staging from "janedoe@example.com"\nRevoked view access to staging from "janedoe@example.com"\n',
      ),
    )
    expect(await infra('grants', 'remove', 'group-a', 'staging.kube-system', '--group')).toEqual(
      ok('Revoked view access to staging.kube-system from "group-a"\n'),
    )
    expect(await infra('grants', 'remove', 'janedoe@example.com', 'staging')).toEqual(
      failure(
        '"janedoe@example.com" has no grant on staging',
        'see infra grants list (--force succeeds anyway)',
      ),
    )
    expect(await infra('grants', 'remove', 'janedoe@example.com', 'staging', '--force')).toEqual(ok(''))
    expect(await infra('grants', 'remove', 'ghost2@example.com', 'staging')).toEqual(
      failure('unknown user "ghost2@example.com"', 'see infra users list'),
    )
    expect(await infra('grants', 'remove', 'janedoe@example.com', 'infra', '--role', 'admin')).toEqual(
      ok('Revoked admin access to infra from "janedoe@example.com"\n'),
    )
  })
})

describe('keys', () => {
  it('add with --ttl, --extension-deadline and --name; list; remove', async () => {
    await infra('users', 'add', 'user@example.com')
    const added = await infra('keys', 'add', 'user@example.com', '--ttl=12h', '--name', 'example-key')
    expect(added.code).toBe(0)
    expect(added.stdout).toMatch(/^[0-9A-Za-z]{10}\.[0-9A-Za-z]{24}\n$/)
    expect(added.stderr).toBe(
      'Issued access key "example-key" for "user@example.com": it expires in 12 hours unless unused for 720h0m0s\n' +
        'This is the only time it is shown:\n',
    )
    // The key works, and expires in 12 hours.
    const self = await t.api('GET', '/api/users/self', { key: added.stdout.trim() })
    expect(self.name).toBe('user@example.com')
    const listed = JSON.parse(
      (await infra('keys', 'list', '--user', 'user@example.com', '--format', 'json')).stdout,
    )
    expect(listed).toMatchObject([
      {
        id: expect.any(String),
        name: 'example-key',
        created: expect.any(String),
        expires: expect.any(String),
        inactivityTimeout: expect.any(String),
        issuedFor: self.id,
        issuedForName: 'user@example.com',
        providerID: expect.any(String),
      },
    ])
    const ttl = Date.parse(listed[0].expires) - Date.parse(listed[0].created)
    expect(Math.abs(ttl - 12 * 3_600_000)).toBeLessThan(5_000)

    const json = JSON.parse(
      (
        await infra(
          'keys',
          'add',
          'user@example.com',
          '--ttl',
          '30m',
          '--extension-deadline',
          '10m',
          '--format',
          'json',
        )
      ).stdout,
    )
    expect(Date.parse(json.inactivityTimeout) - Date.parse(json.created)).toBeLessThanOrEqual(
      10 * 60_000 + 5_000,
    )
    expect(json.accessKey).toMatch(/^[0-9A-Za-z]{10}\.[0-9A-Za-z]{24}$/)

    const table = await infra('keys', 'list', '--user', 'user@example.com')
    expect(table.stdout).toMatch(
      /^ID +NAME +USER +CREATED +LAST USED +EXPIRES\n\S+ +example-key +user@example\.com +just now +(just now|never) +in 12 hours\n\S+ +key-\S+ +user@example\.com +just now +never +in 30 minutes\n$/,
    )

    expect(await infra('keys', 'add', 'user@example.com', '--ttl', 'forever')).toEqual(
      failure(
        'invalid duration "forever" for --ttl',
        'use a number and a unit (h, m, s), e.g. 12h, 30m or 720h0m0s',
      ),
    )
    expect(await infra('keys', 'add', 'user@example.com', '--extension-deadline', '0s')).toEqual(
      failure('--extension-deadline must be longer than 0s', 'e.g. 12h, 30m or 720h0m0s'),
    )
    expect(await infra('keys', 'add', 'nobody@example.com')).toEqual(
      failure('unknown user "nobody@example.com"', 'see infra users list'),
    )

    expect(await infra('keys', 'remove', 'example-key')).toEqual(
      ok('Removed access key "example-key" of "user@example.com"\n'),
    )
    expect((await t.request('GET', '/api/users/self', { key: added.stdout.trim() })).status).toBe(401)
    expect(await infra('keys', 'remove', 'example-key')).toEqual(
      failure('unknown access key "example-key"', 'see infra keys list (--force succeeds anyway)'),
    )
    expect(await infra('keys', 'remove', 'example-key', '--force')).toEqual(ok(''))
    // By ID too.
    expect(await infra('keys', 'remove', json.id)).toEqual(
      ok(`Removed access key "${json.name}" of "user@example.com"\n`),
    )
  })

  it('show expired keys only with --show-expired', async () => {
    await infra('users', 'add', 'short@example.com')
    await infra('keys', 'add', 'short@example.com', '--ttl', '1s', '--name', 'short-lived')
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const names = async (...extra: string[]) =>
      JSON.parse(
        (await infra('keys', 'list', '--user', 'short@example.com', '--format', 'json', ...extra)).stdout,
      ).map((key: { name: string }) => key.name)
    expect(await names()).toEqual([])
    expect(await names('--show-expired')).toEqual(['short-lived'])
  })

  it('a connector key: for the hidden connector user with the connector role, by --connector or by name', async () => {
    const first = await infra('keys', 'add', '--connector')
    expect(first.code).toBe(0)
    const second = await infra('keys', 'add', 'connector')
    expect(second.code).toBe(0)
    const connectors = (path: string) =>
      t
        .api('GET', path)
        .then(({ items }) => items.filter((user: { name: string }) => user.name === 'connector'))
    expect(await connectors('/api/users')).toHaveLength(0)
    expect(await connectors('/api/users?showSystem=true')).toHaveLength(1)
    expect(await infra('keys', 'add')).toEqual(
      failure('name the user the key is for, or pass --connector', 'e.g. infra keys add --connector'),
    )
    const key = first.stdout.trim()
    const self = await t.api('GET', '/api/users/self', { key })
    const grants = await t.api('GET', `/api/grants?user=${self.id}&showSystem=true`)
    expect(
      grants.items.map((g: { privilege: string; resource: string }) => `${g.privilege}@${g.resource}`),
    ).toEqual(['connector@infra'])
    // It can register a destination.
    const created = await t.request('POST', '/api/destinations', {
      body: { name: 'from-connector', uniqueID: 'fc' },
      key,
    })
    expect(created.status).toBe(201)
  })
})

describe('providers', () => {
  it('add, list, remove', async () => {
    expect(
      await infra(
        'providers',
        'add',
        'okta',
        '--url',
        'example.okta.com',
        '--client-id',
        '0oa3sz06o6do0muoW5d7',
        '--client-secret',
        'VT_oXtkEDaT7UFY-C3DSRWYb00qyKZ1K1VCq7YzN',
        '--kind',
        'okta',
      ),
    ).toEqual(ok('Connected provider "okta" (okta) at example.okta.com\n'))
    expect(
      await infra('providers', 'add', 'okta', '--url', 'x', '--client-id', 'y', '--client-secret', 'z'),
    ).toEqual(failure('a provider named "okta" already exists', 'see infra providers list'))
    expect(await infra('providers', 'add', 'google', '--url', 'accounts.google.com')).toEqual(
      failure('missing --client-id, --client-secret', 'see infra providers add --help'),
    )
    const list = await infra('providers', 'list')
    expect(list).toEqual(ok('NAME  KIND  URL\nokta  okta  https://example.okta.com\n'))
    const providers = await t.api('GET', '/api/providers')
    expect(JSON.parse((await infra('providers', 'list', '--format', 'json')).stdout)).toEqual(providers.items)
    expect(JSON.stringify(providers.items)).not.toContain('VT_oXtkEDaT7UFY')
    expect(await infra('providers', 'remove', 'okta')).toEqual(ok('Removed provider "okta"\n'))
    expect(await infra('providers', 'remove', 'okta')).toEqual(
      failure('unknown provider "okta"', 'see infra providers list (--force succeeds anyway)'),
    )
    expect(await infra('providers', 'remove', 'okta', '--force')).toEqual(ok(''))
    expect(await infra('providers', 'list')).toEqual({
      code: 0,
      stdout: '',
      stderr: 'No identity providers: connect one with infra providers add.\n',
    })
  })
})

describe('the command line itself', () => {
  it('version, about, and yaml', async () => {
    const version = await infra('version')
    expect(version).toEqual(
      ok(`Client: ${CLI_VERSION}\nServer: ${(await t.api('GET', '/api/version')).version}\nAPI:    0.22.0\n`),
    )
    expect(JSON.parse((await infra('version', '--format', 'json')).stdout)).toEqual({
      client: CLI_VERSION,
      server: expect.any(String),
      api: '0.22.0',
    })
    expect((await infra('about')).stdout).toContain('Infra is access management for Kubernetes')
    expect((await infra('info', '--format', 'yaml')).stdout).toMatch(
      /^server: http:\/\/127\.0\.0\.1:\d+\nuser:\n {2}id: \S+\n {2}name: admin\n/,
    )
  })

  it('usage errors name the command to get help for', async () => {
    expect(await infra('users', 'frobnicate')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: Unknown argument: frobnicate\nhint: see infra users --help\n',
    })
    expect(await infra('grants', 'add', 'only-one')).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: Not enough non-option arguments: got 1, need at least 2\nhint: see infra grants add --help\n',
    })
    expect(await infra('users', 'list', '--format', 'xml')).toMatchObject({ code: 2 })
    expect(await infra('logins')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: Did you mean login?\nhint: see infra --help\n',
    })
    expect((await infra('users')).stderr).toBe(
      'error: Name a subcommand: add, edit, list or remove\nhint: see infra users --help\n',
    )
  })

  it('--help shows the reference examples and flags', async () => {
    const help = await infra('grants', 'add', '--help')
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('infra grants add USER|GROUP DESTINATION')
    expect(help.stdout).toContain(
      '  # Grant access with fine-grained permissions\n  $ infra grants add johndoe@example.com staging --role viewer\n',
    )
    expect(help.stdout).toMatch(
      /\n +--role +Type of access that the user or group will be given +\[string\] \[default: "connect"\]\n/,
    )
    expect(help.stdout).toMatch(
      /\n +-g, --group +When set, creates a grant for a group instead of a user +\[boolean\]\n/,
    )
    const keys = await infra('keys', 'add', '--help')
    expect(keys.stdout).toMatch(
      /--ttl +The total time that the access key will be valid for +\[string\] \[default: "720h0m0s"\]/,
    )
    expect(keys.stdout).toMatch(
      /--extension-deadline +A specified deadline that the access key must be used within to remain valid +\[string\] \[default: "720h0m0s"\]/,
    )
    const root = await infra()
    expect(root.stdout).toContain('infra login [SERVER]')
  })
})
