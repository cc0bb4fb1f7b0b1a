import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { isAudienceOf } from '@infra/api-types'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { createServer, type Server } from 'node:https'
import { dirname, join } from 'node:path'
import { parse, stringify } from 'yaml'
import {
  BIN,
  exec,
  PACKAGE_DIR,
  run,
  runBin,
  sandbox,
  startTestServer,
  type Sandbox,
  type TestServer,
} from './helpers.js'
import { createSelfSigned } from '@infra/test-harness/certificates'

const KUBECTL = '/usr/bin/kubectl'

let t: TestServer
let admin: Sandbox
let box: Sandbox
/** Stand-ins for the connectors of two destinations, by name, and the host:port each registered. */
const standIns = new Map<string, Server>()
const destinationUrls: Record<string, string> = {}
let destinationUrl: string
let ca: string
/** Bearer tokens the destinations accepted, after checking them against the server's JWKS. */
const seen: { destination: string; name: string; groups: string[]; token: string }[] = []

const USER = 'dev@example.com'
/** What kubectl runs after the CLI's command for infra:dev. */
const DEV_ARGS = ['tokens', 'add', '--destination', 'dev']
const OTHERS = {
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [{ name: 'other', cluster: { server: 'https://other.example.com' } }],
  contexts: [{ name: 'other', context: { cluster: 'other', user: 'other' } }],
  users: [{ name: 'other', user: { token: 'other-token' } }],
  'current-context': 'other',
}

const infra = (...args: string[]) => run(args, box.env)
const kubeconfig = () => parse(readFileSync(box.kubeconfig, 'utf8'))
const names = (list: { name: string }[] = []) => list.map((item) => item.name)

async function verify(token: string) {
  const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', t.url))
  const { payload } = await jwtVerify(token, jwks)
  return payload as { name: string; groups: string[]; exp: number; aud: unknown }
}

/** Answers kubectl in front of `destination`, checking its token as the connector does: signed, and for it. */
async function startStandIn(destination: string, certificate: { certificate: string; key: string }) {
  const standIn = createServer({ cert: certificate.certificate, key: certificate.key }, (req, res) => {
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '')
    verify(token)
      .then((claims) => {
        if (!isAudienceOf(claims.aud, destination)) throw new Error('for another destination')
        seen.push({ destination, name: claims.name, groups: claims.groups, token })
        res.setHeader('Content-Type', 'application/json')
        res.end(
          JSON.stringify({
            major: '1',
            minor: '32',
            gitVersion: 'v1.32.0-infra-test',
            platform: claims.name,
          }),
        )
      })
      .catch(() => {
        res.statusCode = 401
        res.end(
          JSON.stringify({
            kind: 'Status',
            apiVersion: 'v1',
            status: 'Failure',
            code: 401,
            message: 'Unauthorized',
          }),
        )
      })
  })
  await new Promise<void>((resolve) => standIn.listen(0, '127.0.0.1', resolve))
  standIns.set(destination, standIn)
  destinationUrls[destination] = `127.0.0.1:${(standIn.address() as { port: number }).port}`
}

beforeAll(async () => {
  t = await startTestServer()
  const certificate = await createSelfSigned({ dns: ['localhost'], ip: ['127.0.0.1'] })
  ca = certificate.certificate
  await startStandIn('dev', certificate)
  await startStandIn('prod', certificate)
  destinationUrl = destinationUrls.dev!

  admin = sandbox()
  box = sandbox()
  await run(['login', t.url, '--key', t.adminKey], admin.env)
  await t.api('POST', '/api/destinations', {
    body: {
      name: 'dev',
      uniqueID: 'dev-cluster',
      connection: { url: destinationUrl, ca },
      resources: ['default', 'kube-system'],
      roles: ['cluster-admin', 'view', 'connect'],
    },
  })
  await t.api('POST', '/api/destinations', {
    body: {
      name: 'prod',
      uniqueID: 'prod-cluster',
      connection: { url: `https://${destinationUrls.prod}`, ca },
      resources: ['default', 'kube-system'],
      roles: ['cluster-admin', 'view', 'connect'],
    },
  })
  await t.api('POST', '/api/destinations', { body: { name: 'unconnected', uniqueID: 'u' } })
  await run(['users', 'add', USER], admin.env)
  await run(['groups', 'add', 'devs'], admin.env)
  await run(['groups', 'adduser', USER, 'devs'], admin.env)
  await run(['grants', 'add', USER, 'dev'], admin.env)
  await run(['grants', 'add', 'devs', 'prod.kube-system', '--group', '--role', 'view'], admin.env)
  await run(['grants', 'add', USER, 'unconnected', '--force'], admin.env)
  const key = (await run(['keys', 'add', USER], admin.env)).stdout.trim()

  mkdirSync(dirname(box.kubeconfig), { recursive: true })
  writeFileSync(box.kubeconfig, JSON.stringify(OTHERS))
  expect(await infra('login', t.url, '--key', key)).toEqual({
    code: 0,
    stdout: '',
    stderr:
      `Logged in as ${USER} to ${t.url}\n` +
      'kubectl contexts: infra:dev, infra:prod.kube-system (switch with infra use DESTINATION)\n',
  })
})

afterAll(async () => {
  for (const standIn of standIns.values()) await new Promise((resolve) => standIn.close(resolve))
  await t.close()
  admin.cleanup()
  box.cleanup()
})

describe('kubeconfig', () => {
  it('login writes one cluster, context and user per granted destination, keeping everything else', () => {
    const config = kubeconfig()
    expect(names(config.clusters)).toEqual(['other', 'infra:dev', 'infra:prod'])
    expect(names(config.contexts)).toEqual(['other', 'infra:dev', 'infra:prod.kube-system'])
    expect(names(config.users)).toEqual(['other', 'infra:dev', 'infra:prod'])
    expect(config['current-context']).toBe('other')
    expect(config.clusters[0]).toEqual(OTHERS.clusters[0])
    expect(config.users[0]).toEqual(OTHERS.users[0])
    expect(config.clusters[1]).toEqual({
      name: 'infra:dev',
      cluster: {
        server: `https://${destinationUrl}`,
        'certificate-authority-data': Buffer.from(ca).toString('base64'),
      },
    })
    expect(config.contexts[2]).toEqual({
      name: 'infra:prod.kube-system',
      context: { cluster: 'infra:prod', user: 'infra:prod', namespace: 'kube-system' },
    })
    expect(config.users[1]).toEqual({
      name: 'infra:dev',
      user: {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: 'infra',
          args: ['tokens', 'add', '--destination', 'dev'],
          env: [{ name: 'INFRA_SERVER', value: t.url }],
          installHint: 'The Infra CLI gives kubectl its tokens: install it with npm install -g @infra/cli',
          interactiveMode: 'IfAvailable',
          provideClusterInfo: false,
        },
      },
    })
    expect(statSync(box.kubeconfig).mode & 0o777).toBe(0o600)
  })

  it('list shows the access (table and JSON)', async () => {
    expect(await infra('list')).toEqual({
      code: 0,
      stdout:
        'NAME              ACCESS   CONNECTED\n' +
        'dev               connect  yes\n' +
        'prod.kube-system  view     yes\n' +
        'unconnected       connect  yes\n',
      stderr: '',
    })
    expect(JSON.parse((await infra('list', '--format', 'json')).stdout)).toEqual([
      { name: 'dev', roles: ['connect'], connected: true, kubeContext: 'infra:dev' },
      { name: 'prod.kube-system', roles: ['view'], connected: true, kubeContext: 'infra:prod.kube-system' },
      { name: 'unconnected', roles: ['connect'], connected: true, kubeContext: 'infra:unconnected' },
    ])
  })

  it('the real kubectl reads the contexts', async () => {
    const view = await exec(KUBECTL, ['config', 'view', '-o', 'json'], box.env)
    expect(view.code).toBe(0)
    const config = JSON.parse(view.stdout)
    expect(names(config.contexts).sort()).toEqual(['infra:dev', 'infra:prod.kube-system', 'other'])
    const contexts = await exec(KUBECTL, ['config', 'get-contexts', '-o', 'name'], box.env)
    expect(contexts.stdout.split('\n').filter(Boolean).sort()).toEqual([
      'infra:dev',
      'infra:prod.kube-system',
      'other',
    ])
  })

  it('the exec plugin, as kubectl config view --raw gives it, yields a token the server signed', async () => {
    const raw = JSON.parse((await exec(KUBECTL, ['config', 'view', '--raw', '-o', 'json'], box.env)).stdout)
    const { exec: plugin } = raw.users.find((user: { name: string }) => user.name === 'infra:dev').user
    const env = {
      ...box.env,
      ...Object.fromEntries(plugin.env.map((v: { name: string; value: string }) => [v.name, v.value])),
    }
    const result = await exec(plugin.command, plugin.args, env)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const credential = JSON.parse(result.stdout)
    expect(credential).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { token: expect.any(String), expirationTimestamp: expect.any(String) },
    })
    const claims = await verify(credential.status.token)
    expect(claims.aud).toEqual(['infra', 'dev'])
    expect(claims.name).toBe(USER)
    expect(claims.groups).toEqual(['devs'])
    expect(Math.abs(claims.exp * 1000 - Date.parse(credential.status.expirationTimestamp))).toBeLessThan(1000)
  })

  it('kubectl runs the plugin and reaches the destination with the token', async () => {
    const version = await exec(KUBECTL, ['--context', 'infra:dev', 'get', '--raw', '/version'], box.env)
    expect(version.stderr).toBe('')
    expect(JSON.parse(version.stdout)).toMatchObject({ gitVersion: 'v1.32.0-infra-test', platform: USER })
    expect(seen.at(-1)).toMatchObject({ destination: 'dev', name: USER, groups: ['devs'] })
  })

  it('use switches the current context; unknown or unconnected destinations are refused', async () => {
    expect(await infra('use', 'dev')).toEqual({ code: 0, stdout: '', stderr: 'Switched to infra:dev\n' })
    expect(kubeconfig()['current-context']).toBe('infra:dev')
    expect((await exec(KUBECTL, ['config', 'current-context'], box.env)).stdout).toBe('infra:dev\n')
    expect(await infra('use', 'prod.kube-system')).toEqual({
      code: 0,
      stdout: '',
      stderr: 'Switched to infra:prod.kube-system\n',
    })
    expect(await infra('use', 'prod')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: you have no access to prod\nhint: see infra list for the destinations you can use\n',
    })
    expect(await infra('use', 'unconnected')).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'error: unconnected has not been connected to Infra yet\nhint: ask an admin to connect it (infra keys add connector)\n',
    })
    expect((await infra('use', 'bad.name.x')).stderr).toMatch(/^error: invalid destination "bad.name.x": /)
    expect(kubeconfig()['current-context']).toBe('infra:prod.kube-system')
  })

  it('entries for destinations no longer granted are removed; others stay', async () => {
    await run(['grants', 'remove', 'devs', 'prod.kube-system', '--group'], admin.env)
    expect((await infra('list')).code).toBe(0)
    const config = kubeconfig()
    expect(names(config.contexts)).toEqual(['other', 'infra:dev'])
    expect(names(config.clusters)).toEqual(['other', 'infra:dev'])
    expect(names(config.users)).toEqual(['other', 'infra:dev'])
    // It was the current context: kubectl is not left pointing at a context that is gone.
    expect(config['current-context']).toBeUndefined()
    await run(['grants', 'add', 'devs', 'prod.kube-system', '--group', '--role', 'view'], admin.env)
    await infra('list')
    expect(names(kubeconfig().contexts)).toEqual(['other', 'infra:dev', 'infra:prod.kube-system'])
  })
})

describe('the exec plugin wherever the CLI is installed', () => {
  /** A PATH with node and kubectl but no `infra`. */
  const BARE_PATH = '/usr/bin:/bin'

  /** Logs USER in through `node script`, then asks kubectl for infra:dev; gives the exec plugin written. */
  async function loginAndUseKubectl(script: string, env: Record<string, string>) {
    const key = (await run(['keys', 'add', USER], admin.env)).stdout.trim()
    const login = await exec(process.execPath, [script, 'login', t.url, '--key', key, '--no-agent'], env)
    expect(login.code).toBe(0)
    const version = await exec(KUBECTL, ['--context', 'infra:dev', 'get', '--raw', '/version'], env)
    expect(version.stderr).toBe('')
    expect(JSON.parse(version.stdout)).toMatchObject({ platform: USER })
    const config = parse(readFileSync(env.KUBECONFIG as string, 'utf8'))
    return config.users.find((user: { name: string }) => user.name === 'infra:dev').user.exec
  }

  /**
   * The bundle copied as `npm install -g` lays it out, `bin/infra` a symlink to its entry; with `mode` 0o644 as
   * an archive unpacked without modes leaves it. Under the package's node_modules, so the copy finds the
   * dependencies left outside the bundle.
   */
  function installCopy(mode = 0o755) {
    const prefix = mkdtempSync(join(PACKAGE_DIR, 'node_modules', '.infra-global-'))
    const entry = join(prefix, 'lib', 'dist', 'infra.js')
    cpSync(dirname(BIN), dirname(entry), { recursive: true })
    chmodSync(entry, mode)
    mkdirSync(join(prefix, 'bin'))
    symlinkSync(entry, join(prefix, 'bin', 'infra'))
    return { prefix, entry, bin: join(prefix, 'bin') }
  }

  it('run as node path/to/infra.js with no infra on PATH: the script, which runs by itself', async () => {
    const other = sandbox({ PATH: BARE_PATH })
    try {
      const plugin = await loginAndUseKubectl(BIN, other.env)
      expect(plugin).toMatchObject({ command: BIN, args: DEV_ARGS })
    } finally {
      other.cleanup()
    }
  })

  it('a script that does not run by itself: the node binary running it, with the script', async () => {
    const copy = installCopy(0o644)
    const other = sandbox({ PATH: `${copy.bin}:${BARE_PATH}` })
    try {
      const plugin = await loginAndUseKubectl(copy.entry, other.env)
      expect(plugin).toMatchObject({ command: process.execPath, args: [copy.entry, ...DEV_ARGS] })
    } finally {
      other.cleanup()
      rmSync(copy.prefix, { recursive: true, force: true })
    }
  })

  it('infra on PATH is this CLI (as npm install -g links it): infra, so upgrades keep working', async () => {
    const installed = installCopy()
    const other = sandbox({ PATH: `${installed.bin}:${BARE_PATH}` })
    try {
      const plugin = await loginAndUseKubectl(installed.entry, other.env)
      expect(plugin).toMatchObject({
        command: 'infra',
        args: DEV_ARGS,
        installHint: expect.stringContaining('npm install -g @infra/cli'),
      })
    } finally {
      other.cleanup()
      rmSync(installed.prefix, { recursive: true, force: true })
    }
  })

  it('another program named infra first on PATH: the absolute path of this CLI', async () => {
    const installed = installCopy()
    const impostor = join(installed.prefix, 'impostor')
    mkdirSync(impostor)
    writeFileSync(join(impostor, 'infra'), '#!/bin/sh\necho "not Infra" >&2\nexit 1\n', { mode: 0o755 })
    const other = sandbox({ PATH: `${impostor}:${installed.bin}:${BARE_PATH}` })
    try {
      const plugin = await loginAndUseKubectl(installed.entry, other.env)
      expect(plugin).toMatchObject({ command: installed.entry, args: DEV_ARGS })
    } finally {
      other.cleanup()
      rmSync(installed.prefix, { recursive: true, force: true })
    }
  })
})

describe('infra tokens add', () => {
  const tokenCalls = () =>
    t.requests().filter((line) => line.method === 'POST' && line.path === '/api/tokens')
  const cacheDir = () => join(box.home, '.infra', 'cache', 'tokens')

  it('50 kubectl processes at once make one server call; cached tokens make none', async () => {
    rmSync(cacheDir(), { recursive: true, force: true })
    t.clearLog()
    const env = { ...box.env, INFRA_SERVER: t.url }
    const results = await Promise.all(Array.from({ length: 50 }, () => runBin(DEV_ARGS, env)))
    for (const result of results) {
      expect(result).toEqual({
        code: 0,
        stdout: expect.stringContaining('"kind":"ExecCredential"'),
        stderr: '',
      })
    }
    const tokens = new Set(results.map((result) => JSON.parse(result.stdout).status.token))
    expect(tokens.size).toBe(1)
    expect(tokenCalls()).toHaveLength(1)
    const files = readdirSync(cacheDir()).filter((file) => file.endsWith('.json'))
    expect(files).toHaveLength(1)
    expect(statSync(join(cacheDir(), files[0] as string)).mode & 0o777).toBe(0o600)

    t.clearLog()
    const again = await runBin(DEV_ARGS, env)
    expect(JSON.parse(again.stdout).status.token).toBe([...tokens][0])
    expect(t.requests()).toEqual([])
  })

  it('kubectl on two clusters at once, 10 processes each: one server call per cluster, each token for its own', async () => {
    rmSync(cacheDir(), { recursive: true, force: true })
    t.clearLog()
    seen.length = 0
    const contexts = ['infra:dev', 'infra:prod.kube-system']
    const results = await Promise.all(
      contexts.flatMap((context) =>
        Array.from({ length: 10 }, () =>
          exec(KUBECTL, ['--context', context, 'get', '--raw', '/version'], box.env),
        ),
      ),
    )
    for (const result of results) expect(result).toMatchObject({ code: 0, stderr: '' })
    expect(tokenCalls()).toHaveLength(2)
    for (const destination of ['dev', 'prod']) {
      const tokens = new Set(seen.filter((use) => use.destination === destination).map((use) => use.token))
      expect(tokens.size).toBe(1)
    }
    expect(readdirSync(cacheDir()).filter((file) => file.endsWith('.json'))).toHaveLength(2)
  })

  it('an entry an older CLI wrote (no destination): rewritten at its first use, saying so; kubectl works', async () => {
    const config = kubeconfig()
    for (const user of config.users)
      if (user.name.startsWith('infra:')) user.user.exec.args = ['tokens', 'add']
    writeFileSync(box.kubeconfig, stringify(config))
    const version = () => exec(KUBECTL, ['--context', 'infra:dev', 'get', '--raw', '/version'], box.env)
    // Whether this very kubectl gets through depends on when kubectl reads the kubeconfig again.
    expect((await version()).stderr).toContain(
      `warning: this kubectl entry, written by an older Infra CLI, names no destination; Infra's entries in ${box.kubeconfig} now do (if kubectl was refused, run it again)\n`,
    )
    const users = kubeconfig().users.filter((user: { name: string }) => user.name.startsWith('infra:'))
    expect(users.map((user: { user: { exec: { args: string[] } } }) => user.user.exec.args)).toEqual([
      DEV_ARGS,
      ['tokens', 'add', '--destination', 'prod'],
    ])
    expect(await version()).toMatchObject({ code: 0, stderr: '' })
    expect(seen.at(-1)).toMatchObject({ destination: 'dev', name: USER })
  })

  it('refuses an empty --destination, which the server would read as none', async () => {
    expect(await runBin(['tokens', 'add', '--destination', ''], box.env)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: --destination needs a name\nhint: see infra list for yours\n',
    })
  })

  it('answers in the API version kubectl asks for', async () => {
    const result = await runBin(DEV_ARGS, {
      ...box.env,
      KUBERNETES_EXEC_INFO: JSON.stringify({
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        kind: 'ExecCredential',
        spec: { interactive: false },
      }),
    })
    expect(JSON.parse(result.stdout).apiVersion).toBe('client.authentication.k8s.io/v1beta1')
  })

  it('a revoked key: a clear error, and the login is forgotten', async () => {
    const other = sandbox()
    try {
      const key = (await run(['keys', 'add', USER], admin.env)).stdout.trim()
      await run(['login', t.url, '--key', key], other.env)
      const stored = JSON.parse(readFileSync(join(other.home, '.infra', 'credentials'), 'utf8')).keys[t.url]
      await t.api('POST', '/api/logout', { key: stored })
      const result = await runBin(DEV_ARGS, other.env)
      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr: `error: your session on ${t.url} has expired or was revoked\nhint: run infra login ${t.url} to log in again\n`,
      })
      expect(await runBin(DEV_ARGS, other.env)).toEqual({
        code: 1,
        stdout: '',
        stderr: `error: not logged in to ${t.url}\nhint: run infra login ${t.url}\n`,
      })
    } finally {
      other.cleanup()
    }
  })
})

describe('logout', () => {
  it('removes every Infra entry from kubeconfig and leaves the rest', async () => {
    expect((await infra('logout')).code).toBe(0)
    const config = kubeconfig()
    expect(names(config.contexts)).toEqual(['other'])
    expect(names(config.clusters)).toEqual(['other'])
    expect(names(config.users)).toEqual(['other'])
    // Cached tokens of that login are gone too.
    expect(readdirSync(join(box.home, '.infra', 'cache'))).toEqual([])
  })
})
