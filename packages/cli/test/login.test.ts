import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import {
  closedPort,
  KEY,
  run,
  runBin,
  sandbox,
  startTestServer,
  terminal,
  uniqueName,
  type Sandbox,
  type TestServer,
} from './helpers.js'

let t: TestServer
const boxes: Sandbox[] = []
const newBox = (extra: Record<string, string> = {}) => {
  const box = sandbox(extra)
  boxes.push(box)
  return box
}
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'))
const mode = (path: string) => statSync(path).mode & 0o777

/** A user with a password of their own (the one-time password already replaced). */
async function userWithPassword(name = uniqueName('user'), password = 'correct-horse-battery') {
  const admin = newBox()
  await run(['login', t.url, '--key', t.adminKey], admin.env)
  const added = await run(['users', 'add', name, '--format', 'json'], admin.env)
  const { oneTimePassword } = JSON.parse(added.stdout)
  const login = await t.api('POST', '/api/login', {
    body: {
      passwordCredentials: { name, password: oneTimePassword },
    },
  })
  await t.api('PUT', '/api/users/self', { body: { password }, key: login.accessKey })
  return { name, password, oneTimePassword: oneTimePassword as string }
}

beforeAll(async () => {
  t = await startTestServer()
})
afterAll(async () => {
  await t.close()
  for (const box of boxes) box.cleanup()
})

describe('login with an access key', () => {
  it('stores the session in ~/.infra (0600) and the key outside the config', async () => {
    const box = newBox()
    const result = await run(['login', t.url, '--key', t.adminKey], box.env)
    expect(result).toEqual({ code: 0, stdout: '', stderr: `Logged in as admin to ${t.url}\n` })
    const configFile = join(box.home, '.infra', 'config')
    const config = readJson(configFile)
    expect(config).toEqual({
      version: 1,
      current: t.url,
      servers: [
        {
          url: t.url,
          user: 'admin',
          userID: expect.any(String),
          keyID: expect.stringMatching(/^[0-9A-Za-z]{10}$/),
          expires: expect.any(String),
          keyStore: 'file',
        },
      ],
    })
    expect(mode(configFile)).toBe(0o600)
    // The login exchanged the admin key for a session key of its own.
    const credentials = readJson(join(box.home, '.infra', 'credentials'))
    expect(credentials.keys[t.url]).toMatch(/^[0-9A-Za-z]{10}\.[0-9A-Za-z]{24}$/)
    expect(credentials.keys[t.url]).not.toBe(t.adminKey)
    expect(mode(join(box.home, '.infra', 'credentials'))).toBe(0o600)
    expect(readFileSync(configFile, 'utf8')).not.toContain(credentials.keys[t.url].split('.')[1])

    const info = await run(['info', '--format', 'json'], box.env)
    expect(JSON.parse(info.stdout)).toEqual({
      server: t.url,
      user: { id: config.servers[0].userID, name: 'admin' },
      groups: [],
      roles: ['admin'],
      expires: config.servers[0].expires,
    })
  })

  it('takes the key from INFRA_ACCESS_KEY and the server from INFRA_SERVER', async () => {
    const box = newBox({ INFRA_SERVER: t.url, INFRA_ACCESS_KEY: t.adminKey })
    const result = await run(['login', '--non-interactive'], box.env)
    expect(result.code).toBe(0)
    expect(result.stderr).toBe(`Logged in as admin to ${t.url}\n`)
  })

  it('rejects a wrong key with a clear message', async () => {
    const box = newBox()
    const result = await run(['login', t.url, '--key', 'AAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBB'], box.env)
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'error: the access key is not valid (expired, revoked or mistyped)\nhint: ask your administrator for a new key\n',
    })
  })

  it('--plain --silent prints only the key, which then works as INFRA_ACCESS_KEY', async () => {
    const box = newBox()
    const result = await runBin(['login', t.url, '--key', t.adminKey, '--plain', '--silent'], box.env)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^[0-9A-Za-z]{10}\.[0-9A-Za-z]{24}\n$/)
    const elsewhere = newBox({ INFRA_SERVER: t.url, INFRA_ACCESS_KEY: result.stdout.trim() })
    const users = await run(['users', 'list', '--format', 'json'], elsewhere.env)
    expect(users.code).toBe(0)
    expect(JSON.parse(users.stdout).map((user: { name: string }) => user.name)).toContain('admin')
    // The same key as flags, without any login.
    const flags = await run(
      ['users', 'list', '--server', t.url, '--access-key', result.stdout.trim()],
      newBox().env,
    )
    expect(flags).toEqual({ code: 0, stdout: expect.stringContaining('admin'), stderr: '' })
    const wrong = await run(
      ['users', 'list', '--server', t.url, '--access-key', 'AAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBB'],
      newBox().env,
    )
    expect(wrong).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: ${t.url} did not accept the access key (expired, revoked or mistyped)\nhint: check --access-key / INFRA_ACCESS_KEY, or run infra login\n`,
    })
  })
})

describe('login with a password', () => {
  it('works non-interactively from INFRA_USER and INFRA_PASSWORD', async () => {
    const user = await userWithPassword()
    const box = newBox({ INFRA_USER: user.name, INFRA_PASSWORD: user.password })
    const result = await runBin(['login', t.url, '--plain', '--silent'], box.env)
    expect(result).toEqual({ code: 0, stdout: expect.stringMatching(/^\S+\.\S+\n$/), stderr: '' })
    expect(readJson(join(box.home, '.infra', 'config')).servers[0].user).toBe(user.name)
  })

  it('logging in again on the same server revokes the earlier session key', async () => {
    const user = await userWithPassword()
    const box = newBox()
    await run(['login', t.url, '--key', t.adminKey], box.env)
    const first = readJson(join(box.home, '.infra', 'credentials')).keys[t.url]
    await run(['login', t.url, '--user', user.name, '--password', user.password], box.env)
    expect((await t.request('GET', '/api/users/self', { key: first })).status).toBe(401)
    expect(JSON.parse((await run(['info', '--format', 'json'], box.env)).stdout).user.name).toBe(user.name)
  })

  it('works with --user and --password', async () => {
    const user = await userWithPassword()
    const box = newBox()
    const result = await run(['login', t.url, '--user', user.name, '--password', user.password], box.env)
    expect(result).toEqual({ code: 0, stdout: '', stderr: `Logged in as ${user.name} to ${t.url}\n` })
  })

  it('refuses a wrong password and an unknown user with the same message', async () => {
    const user = await userWithPassword()
    const box = newBox()
    const expected = {
      code: 1,
      stdout: '',
      stderr:
        'error: the user name or password is incorrect\nhint: check them, or ask your administrator to reset the password\n',
    }
    expect(await run(['login', t.url, '--user', user.name, '--password', 'wrong-password'], box.env)).toEqual(
      expected,
    )
    expect(
      await run(['login', t.url, '--user', 'nobody@example.com', '--password', 'whatever1'], box.env),
    ).toEqual(expected)
    expect(await run(['info'], box.env)).toMatchObject({
      code: 1,
      stderr:
        'error: not logged in to any server\nhint: run infra login (or pass --server and --access-key)\n',
    })
  })

  it('asks for what is missing only when it may prompt', async () => {
    const box = newBox()
    expect(await run(['login', t.url, '--user', 'someone'], box.env)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: a password for someone is required\nhint: set INFRA_PASSWORD (or pass --password)\n',
    })
    expect(await run(['login', t.url, '--non-interactive'], box.env)).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'error: no login method given\nhint: pass --key (or set INFRA_ACCESS_KEY), or --user with INFRA_PASSWORD set (or INFRA_USER and INFRA_PASSWORD)\n',
    })
    expect(await run(['login', '--non-interactive'], box.env)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: no server given\nhint: run infra login SERVER (or set INFRA_SERVER)\n',
    })
  })

  it('a one-time password needs a terminal to choose the new one', async () => {
    const admin = newBox()
    await run(['login', t.url, '--key', t.adminKey], admin.env)
    const name = uniqueName('otp')
    const { oneTimePassword } = JSON.parse(
      (await run(['users', 'add', name, '--format', 'json'], admin.env)).stdout,
    )
    const box = newBox({ INFRA_USER: name, INFRA_PASSWORD: oneTimePassword })
    expect(await run(['login', t.url], box.env)).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: ${name} has a one-time password and must choose a new one\nhint: run infra login in a terminal (without --non-interactive) to set it\n`,
    })
  })

  it('prompts for server, method and credentials, and forces a new password after a one-time one (pty)', async () => {
    const admin = newBox()
    await run(['login', t.url, '--key', t.adminKey], admin.env)
    const name = uniqueName('pty')
    const { oneTimePassword } = JSON.parse(
      (await run(['users', 'add', name, '--format', 'json'], admin.env)).stdout,
    )

    const box = newBox()
    const term = terminal(['login'], box.env)
    await term.expect(/Server\s/)
    term.write(`${t.url}${KEY.enter}`)
    await term.expect('Access key') // the method list
    term.write(KEY.enter) // Username and password
    await term.expect(/◆\s+Username/)
    term.write(`${name}${KEY.enter}`)
    await term.expect(/◆\s+Password/)
    term.write(`${oneTimePassword}${KEY.enter}`)
    await term.expect('choose a new one')
    await term.expect(/◆\s+New password/)
    term.write(`short${KEY.enter}`)
    await term.expect('must be at least 8 characters')
    term.write(`${'x'.repeat(5)}-long-enough${KEY.enter}`)
    await term.expect(/◆\s+Confirm new password/)
    term.write(`mismatch-password${KEY.enter}`)
    await term.expect('do not match')
    await term.expect(/◆\s+New password/)
    term.write(`brand-new-password${KEY.enter}`)
    await term.expect(/◆\s+Confirm new password/)
    term.write(`brand-new-password${KEY.enter}`)
    await term.expect(`Logged in as ${name}`)
    expect(await term.exit).toBe(0)

    // The session key became a full key, and the new password is the one that works now.
    expect((await run(['info', '--format', 'json'], box.env)).code).toBe(0)
    const again = newBox()
    expect(
      (await run(['login', t.url, '--user', name, '--password', 'brand-new-password'], again.env)).code,
    ).toBe(0)
    expect((await run(['login', t.url, '--user', name, '--password', oneTimePassword], again.env)).code).toBe(
      1,
    )
  })

  it('offers the known servers first (pty)', async () => {
    const box = newBox()
    await run(['login', t.url, '--key', t.adminKey], box.env)
    const term = terminal(['login'], box.env)
    await term.expect(t.url)
    await term.expect('logged in as admin')
    await term.expect('Connect to a new server')
    term.write(KEY.enter)
    await term.expect('Access key')
    term.write(KEY.down + KEY.enter)
    await term.expect(/◆\s+Access key/)
    term.write(`${t.adminKey}${KEY.enter}`)
    await term.expect('Logged in as admin')
    expect(await term.exit).toBe(0)
  })

  it('users edit --password prompts on a terminal (pty)', async () => {
    const user = await userWithPassword()
    const box = newBox()
    await run(['login', t.url, '--user', user.name, '--password', user.password], box.env)
    const term = terminal(['users', 'edit', user.name, '--password'], box.env)
    await term.expect(/◆\s+Current password/)
    term.write(`${user.password}${KEY.enter}`)
    await term.expect(/◆\s+New password/)
    term.write(`changed-on-a-tty${KEY.enter}`)
    await term.expect(/◆\s+Confirm new password/)
    term.write(`changed-on-a-tty${KEY.enter}`)
    await term.expect('Updated your password')
    expect(await term.exit).toBe(0)
    expect(
      (await run(['login', t.url, '--user', user.name, '--password', 'changed-on-a-tty'], newBox().env)).code,
    ).toBe(0)
  })

  it('logs in with an access key chosen from the prompts (pty)', async () => {
    const box = newBox()
    const term = terminal(['login', t.url], box.env)
    await term.expect('Access key')
    term.write(KEY.down + KEY.enter)
    await term.expect(/◆\s+Access key/)
    term.write(`${t.adminKey}${KEY.enter}`)
    await term.expect(`Logged in as admin`)
    expect(await term.exit).toBe(0)
  })
})

describe('login errors', () => {
  it('an unreachable server', async () => {
    const box = newBox()
    const port = await closedPort()
    const expected = {
      code: 1,
      stdout: '',
      // Said once while the SDK retries, then the error when it gives up.
      stderr:
        `warning: could not reach http://127.0.0.1:${port} (ECONNREFUSED), retrying\n` +
        `error: could not reach http://127.0.0.1:${port} (ECONNREFUSED)\nhint: is the server running? (--skip-tls-verify for self-signed certificates)\n`,
    }
    expect(await run(['login', `http://127.0.0.1:${port}`, '--key', t.adminKey], box.env)).toEqual(expected)
    expect(await runBin(['login', `127.0.0.1:${port}`, '--key', t.adminKey], box.env)).toEqual({
      ...expected,
      stderr: expected.stderr.replaceAll('http://', 'https://'),
    })
  })

  it('--method universal-auth logs a machine in with a client ID and secret, printing its access key', async () => {
    const [clientId = '', clientSecret = ''] = t.adminKey.split('.')
    const KEY = /^[0-9A-Za-z]{10}\.[0-9A-Za-z]{24}$/
    const universalAuth = (env: Record<string, string>, ...flags: string[]) =>
      run(['login', t.url, '--method', 'universal-auth', ...flags], env)

    const byFlags = await universalAuth(
      newBox().env,
      '--client-id',
      clientId,
      '--client-secret',
      clientSecret,
      '--silent',
    )
    expect(byFlags.code).toBe(0)
    expect(byFlags.stderr).toBe('')
    const key = byFlags.stdout.trim()
    expect(key).toMatch(KEY)
    expect(key).not.toBe(t.adminKey)
    const elsewhere = newBox({ INFRA_SERVER: t.url, INFRA_ACCESS_KEY: key })
    expect((await run(['users', 'list'], elsewhere.env)).code).toBe(0)

    const byEnv = newBox({
      INFRA_UNIVERSAL_AUTH_CLIENT_ID: clientId,
      INFRA_UNIVERSAL_AUTH_CLIENT_SECRET: clientSecret,
    })
    const fromEnv = await universalAuth(byEnv.env, '--silent')
    expect(fromEnv.code).toBe(0)
    expect(fromEnv.stdout.trim()).toMatch(KEY)

    expect(await universalAuth(newBox().env, '--client-id', clientId)).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'error: universal-auth needs a client ID and a client secret\n' +
        'hint: pass --client-id and --client-secret (or set INFRA_UNIVERSAL_AUTH_CLIENT_ID and INFRA_UNIVERSAL_AUTH_CLIENT_SECRET)\n',
    })
    const wrong = await universalAuth(
      newBox().env,
      '--client-id',
      clientId,
      '--client-secret',
      'x'.repeat(24),
    )
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(/access key is not valid/)
  })

  it('--provider names a provider the server knows', async () => {
    const box = newBox()
    expect(await run(['login', t.url, '--provider', 'okta'], box.env)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: no identity provider named "okta"\nhint: see infra providers list\n',
    })
  })

  it('a bad server', async () => {
    const box = newBox()
    const result = await run(['login', 'ftp://example.com', '--key', t.adminKey], box.env)
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(
      'error: server "ftp://example.com" must be an http:// or https:// URL, not ftp://\nhint: give a host, host:port or URL, e.g. infra.example.com\n',
    )
  })
})

describe('sessions', () => {
  it('a revoked key is cleared locally and the user is told to log in again', async () => {
    const box = newBox()
    await run(['login', t.url, '--key', t.adminKey], box.env)
    const key = readJson(join(box.home, '.infra', 'credentials')).keys[t.url]
    await t.api('POST', '/api/logout', { key })
    expect(await run(['users', 'list'], box.env)).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: your session on ${t.url} has expired or was revoked\nhint: run infra login ${t.url} to log in again\n`,
    })
    expect(readJson(join(box.home, '.infra', 'credentials')).keys).toEqual({})
    expect(readJson(join(box.home, '.infra', 'config')).servers[0].keyID).toBeUndefined()
    expect((await run(['users', 'list'], box.env)).stderr).toBe(
      `error: not logged in to ${t.url}\nhint: run infra login ${t.url}\n`,
    )
  })

  it('keeps one login per server; --server picks one for a command; logout variants', async () => {
    const second = await startTestServer()
    try {
      const box = newBox()
      expect((await run(['login', t.url, '--key', t.adminKey], box.env)).code).toBe(0)
      expect((await run(['login', second.url, '--key', second.adminKey], box.env)).code).toBe(0)
      const config = readJson(join(box.home, '.infra', 'config'))
      expect(config.current).toBe(second.url)
      expect(config.servers.map((entry: { url: string }) => entry.url)).toEqual([t.url, second.url])

      // Each server answers with its own data.
      await run(['users', 'add', 'only-on-first@example.com', '--server', t.url], box.env)
      const names = async (server: string) =>
        JSON.parse(
          (await run(['users', 'list', '--format', 'json', '--server', server], box.env)).stdout,
        ).map((user: { name: string }) => user.name)
      expect(await names(t.url)).toContain('only-on-first@example.com')
      expect(await names(second.url)).not.toContain('only-on-first@example.com')
      expect((await run(['info', '--format', 'json'], { ...box.env, INFRA_SERVER: t.url })).stdout).toContain(
        t.url,
      )

      // SERVER and --all are exclusive.
      expect(await run(['logout', t.url, '--all'], box.env)).toEqual({
        code: 1,
        stdout: '',
        stderr:
          'error: [SERVER] and [--all] cannot be both specified\nhint: choose either one server or --all\n',
      })

      // Log out of the current server: its key is revoked on the server and forgotten, the server stays listed.
      const secondKey = readJson(join(box.home, '.infra', 'credentials')).keys[second.url]
      expect(await run(['logout'], box.env)).toEqual({
        code: 0,
        stdout: '',
        stderr: `Logged out of ${second.url}\n`,
      })
      expect(second.requests().filter((line) => line.path === '/api/logout')).toEqual([
        { method: 'POST', path: '/api/logout', status: 204 },
      ])
      expect((await second.request('GET', '/api/users/self', { key: secondKey })).status).toBe(401)
      let after = readJson(join(box.home, '.infra', 'config'))
      expect(after.current).toBe(second.url)
      expect(
        after.servers.map((entry: { url: string; keyID?: string }) => [entry.url, entry.keyID !== undefined]),
      ).toEqual([
        [t.url, true],
        [second.url, false],
      ])

      // A named server, with --clear: removed from the list.
      expect(await run(['logout', second.url, '--clear'], box.env)).toEqual({
        code: 0,
        stdout: '',
        stderr: `Not logged in to ${second.url} (removed from the list of servers)\n`,
      })
      after = readJson(join(box.home, '.infra', 'config'))
      expect(after.servers.map((entry: { url: string }) => entry.url)).toEqual([t.url])
      expect(after.current).toBeUndefined()

      // --all logs out of every server and keeps the list; --all --clear empties it.
      await run(['login', second.url, '--key', second.adminKey], box.env)
      expect(await run(['logout', '--all'], box.env)).toEqual({
        code: 0,
        stdout: '',
        stderr: `Logged out of ${t.url}\nLogged out of ${second.url}\n`,
      })
      after = readJson(join(box.home, '.infra', 'config'))
      expect(after.servers.map((entry: { keyID?: string }) => entry.keyID)).toEqual([undefined, undefined])
      expect(readJson(join(box.home, '.infra', 'credentials')).keys).toEqual({})
      expect(await run(['logout', '--all', '--clear'], box.env)).toMatchObject({ code: 0 })
      expect(readJson(join(box.home, '.infra', 'config'))).toEqual({ version: 1, servers: [] })
      expect(await run(['logout'], box.env)).toEqual({
        code: 0,
        stdout: '',
        stderr: 'Not logged in to any server\n',
      })
      expect(await run(['logout', 'unknown.example.com'], box.env)).toEqual({
        code: 1,
        stdout: '',
        stderr:
          'error: unknown.example.com is not in the list of servers\nhint: see ~/.infra/config, or infra logout --all\n',
      })
    } finally {
      await second.close()
    }
  })
})

describe('a user without a role', () => {
  it('changes their own password from a script, sees their own grants, and is told when admin access is needed', async () => {
    const user = await userWithPassword()
    const admin = newBox()
    await run(['login', t.url, '--key', t.adminKey], admin.env)
    await run(['grants', 'add', user.name, 'infra', '--role', 'view', '--force'], admin.env)
    await run(['grants', 'remove', user.name, 'infra', '--role', 'view'], admin.env)
    await t
      .api('POST', '/api/destinations', { body: { name: 'sandbox', uniqueID: uniqueName('sandbox') } })
      .catch(() => undefined)
    await run(['grants', 'add', user.name, 'sandbox'], admin.env)

    const box = newBox({ INFRA_USER: user.name, INFRA_PASSWORD: user.password })
    expect((await run(['login', t.url], box.env)).code).toBe(0)
    expect(await run(['grants', 'list'], box.env)).toEqual({
      code: 0,
      stdout: `USER${' '.repeat(user.name.length - 2)}ACCESS   DESTINATION\n${user.name}  connect  sandbox\n`,
      stderr: '',
    })
    expect(await run(['users', 'add', 'someone@example.com'], box.env)).toEqual({
      code: 1,
      stdout: '',
      stderr: expect.stringMatching(/^error: .+\nhint: ask an admin of this Infra server for access\n$/),
    })
    // Their own password: the current one from INFRA_PASSWORD, the new one on standard input.
    expect(await run(['users', 'edit', user.name, '--password'], box.env, 'my-new-password\n')).toEqual({
      code: 0,
      stdout: 'Updated your password\n',
      stderr: '',
    })
    const wrong = await run(
      ['users', 'edit', user.name, '--password'],
      { ...box.env, INFRA_PASSWORD: 'not-it-at-all' },
      'another-password\n',
    )
    expect(wrong).toEqual({ code: 1, stdout: '', stderr: 'error: invalid oldPassword: is incorrect\n' })
    const again = newBox()
    expect(
      (await run(['login', t.url, '--user', user.name, '--password', 'my-new-password'], again.env)).code,
    ).toBe(0)
  })
})

describe('colors', () => {
  it('only on a terminal, and never with NO_COLOR', async () => {
    const colored = terminal(['users', 'list'], { ...newBox().env, NO_COLOR: '' })
    expect(await colored.exit).toBe(1)
    expect(colored.raw()).toContain('\u001b[31merror:\u001b[39m not logged in to any server')
    const plain = terminal(['users', 'list'], newBox().env)
    expect(await plain.exit).toBe(1)
    expect(plain.raw()).toContain('error: not logged in to any server')
    expect(plain.raw()).not.toContain('\u001b[31m')
    // Not a terminal: no colors either.
    expect((await runBin(['users', 'list'], { ...newBox().env, NO_COLOR: '' })).stderr).toBe(
      'error: not logged in to any server\nhint: run infra login (or pass --server and --access-key)\n',
    )
  })
})

describe('flags', () => {
  it('--log-level error keeps only errors; --log-level debug says more; --no-agent starts nothing', async () => {
    const box = newBox()
    expect(await run(['login', t.url, '--key', t.adminKey, '--log-level', 'error'], box.env)).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    })
    const debug = await run(['login', t.url, '--key', t.adminKey, '--log-level', 'debug'], box.env)
    // In-process there is no program to start as the agent (the binary starts it: see agent.test.ts).
    expect(debug.stderr).toContain(
      'debug: no background agent here: run infra list to refresh kubeconfig after grants change\n',
    )
    const noAgent = await run(
      ['login', t.url, '--key', t.adminKey, '--log-level', 'debug', '--no-agent'],
      box.env,
    )
    expect(noAgent.code).toBe(0)
    expect(noAgent.stderr).not.toContain('agent')
    expect((await run(['login', t.url, '--log-level', 'verbose'], box.env)).code).toBe(2)
  })

  it('--non-interactive never prompts, even on a terminal (pty)', async () => {
    const term = terminal(['login', '--non-interactive'], newBox().env)
    await term.expect('error: no server given')
    expect(await term.exit).toBe(1)
    const method = terminal(['login', t.url, '--non-interactive'], newBox().env)
    await method.expect('error: no login method given')
    expect(await method.exit).toBe(1)
  })
})
