// What Infra promises, driven as its users would: an admin runs the server and a connector per cluster (two, in
// front of one real kube-apiserver); an engineer logs in once; kubectl works as soon as access is granted, is
// limited to what was granted, and stops as soon as the grant is removed, without the engineer doing anything.
import {
  createTestDatabase,
  eventually,
  freePort,
  randomAccessKey,
  run,
  type TestDatabase,
} from '@infra/test-harness'
import { startKubeApiServer, type KubeApiServer } from '@infra/test-harness/kube'
import { startOidcProvider, type TestIdentityProvider } from '@infra/test-harness/oidc'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { copyFileSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { chromiumPath, launchChromium } from './browser.js'
import { recordSecrets } from './logs.js'
import { CONNECTOR_BIN, INFRA_BIN, Person, Program, SERVER_BIN } from './system.js'

const ENGINEER = 'alice@example.com'
/** What grace types at her company's login page (the test provider takes any password). */
const GRACE_PASSWORD = 'grace-at-the-company-sso'

/** Waits (up to 15 s) for something the system does in the background, saying what when it does not. */
const waitFor = <T>(check: () => Promise<T | undefined | false> | T | undefined | false, what: string) =>
  eventually(check, 15_000, 25, what)

let database: TestDatabase
let idp: TestIdentityProvider
let kube: KubeApiServer
let server: Program
/** A connector per destination, both in front of the same kube-apiserver. */
const connectors: Program[] = []
/** The server as people type it, and what they pass to trust its self-signed certificate. */
let serverAddress: string
let trustServer: string[]
const admin = new Person('admin')
const alice = new Person('alice')
const grace = new Person('grace')
const bob = new Person('bob')

const contextsOf = async (person: Person) =>
  (await person.kubectl('config', 'get-contexts', '-o', 'name')).stdout.split('\n').filter(Boolean).sort()

/**
 * Keeps the person's kubeconfig (and so the kubectl token cached for it) as it is, makes the change, and waits
 * until kubectl with what was kept is refused; resolves to how long that took.
 */
async function refusedAfter(person: Person, change: () => unknown, what: string): Promise<number> {
  const kept = join(person.dir, `kept-kubeconfig-${Date.now()}`)
  copyFileSync(person.kubeconfig, kept)
  const started = performance.now()
  await change()
  await waitFor(async () => {
    const result = await person.kubectl(
      '--kubeconfig',
      kept,
      '--context',
      'infra:dev.web',
      'get',
      'configmaps',
    )
    return result.code !== 0 && /forbidden|Unauthorized/i.test(result.stderr)
  }, what)
  return performance.now() - started
}

beforeAll(async () => {
  const adminKey = randomAccessKey()
  ;[database, kube, idp] = await Promise.all([
    createTestDatabase(),
    startKubeApiServer(),
    startOidcProvider(),
  ])
  await run('kubectl', ['--kubeconfig', kube.kubeconfigPath, 'create', 'namespace', 'web'])

  // HTTPS with the certificate the server generates, pinned by everyone: by its printed fingerprint for the
  // CLI, by the certificate file for the connector.
  const serverPort = await freePort()
  const serverDir = join(admin.dir, 'server')
  serverAddress = `localhost:${serverPort}`
  server = Program.start(
    'infra-server',
    SERVER_BIN,
    // Sessions from the identity provider are checked with it twice a second here (5 minutes by default).
    ['--port', String(serverPort), '--data-dir', serverDir, '--provider-check-interval', '500ms'],
    { ...process.env, DATABASE_URL: database.url, INFRA_ADMIN_ACCESS_KEY: adminKey },
  )
  const [, fingerprint] = await server.waitForOutput(/SHA-256 fingerprint is\n\n +(\S+)\n/)
  trustServer = ['--tls-trusted-fingerprint', fingerprint!]
  await server.waitForOutput(/infra server listening/)
  await admin.must('login', serverAddress, '--key', adminKey, '--no-agent', ...trustServer)

  for (const name of ['dev', 'staging']) {
    const proxyPort = await freePort()
    const healthPort = await freePort()
    const connector = Program.start(
      `infra-connector ${name}`,
      CONNECTOR_BIN,
      [
        '--server',
        `https://127.0.0.1:${serverPort}`,
        '--server-ca',
        join(serverDir, 'tls', 'cert.pem'),
        '--name',
        name,
        '--endpoint',
        `127.0.0.1:${proxyPort}`,
        '--listen',
        `127.0.0.1:${proxyPort}`,
        '--health-listen',
        `127.0.0.1:${healthPort}`,
        '--kubeconfig',
        kube.kubeconfigPath,
        '--state-dir',
        join(admin.dir, `connector-${name}`),
      ],
      { ...process.env, INFRA_ACCESS_KEY: await admin.must('keys', 'add', 'connector') },
    )
    connectors.push(connector)
    await connector.waitUntilReady(`http://127.0.0.1:${healthPort}/readyz`)
  }
})

afterAll(async () => {
  // For the log scan after the run (access keys and JWTs it recognises by their shape).
  recordSecrets(
    ...Object.values(kube?.tokens ?? {}),
    ...(idp ? [idp.clientSecret, ...idp.issuedRefreshTokens] : []),
  )
  await Promise.allSettled([alice.infra('logout'), grace.infra('logout')])
  await Promise.allSettled([...connectors.map((connector) => connector.stop()), server?.stop()])
  await Promise.allSettled([kube?.stop(), database?.drop(), idp?.close()])
  for (const person of [admin, alice, grace, bob]) person.cleanup()
})

describe('an engineer with kubectl', () => {
  it('gets access when granted, only what was granted, and loses it as soon as it is revoked', async () => {
    await admin.must('users', 'add', ENGINEER)
    await alice.must(
      'login',
      serverAddress,
      '--key',
      await admin.must('keys', 'add', ENGINEER),
      ...trustServer,
    )
    expect(await contextsOf(alice)).toEqual([])

    // Granted: the background agent adds the context; kubectl authenticates through `infra tokens add`.
    const granted = performance.now()
    await admin.must('grants', 'add', ENGINEER, 'dev.web', '--role', 'edit')
    await waitFor(
      async () => (await contextsOf(alice)).includes('infra:dev.web'),
      'the agent to add the context',
    )
    const created = await waitFor(async () => {
      const result = await alice.kubectl('--context', 'infra:dev.web', 'create', 'configmap', 'from-alice')
      return result.code === 0 && result.stdout
    }, 'kubectl to work through the connector')
    const usable = performance.now() - granted
    expect(created).toContain('configmap/from-alice created')
    const listed = await alice.kubectl('--context', 'infra:dev.web', 'get', 'configmaps', '-o', 'name')
    expect(listed.stdout).toContain('configmap/from-alice')

    // Only what was granted: another namespace and cluster-wide objects are refused by the API server.
    const elsewhere = await alice.kubectl('--context', 'infra:dev.web', 'get', 'pods', '-n', 'kube-system')
    expect(elsewhere.code).not.toBe(0)
    expect(elsewhere.stderr).toMatch(/forbidden/i)
    expect(elsewhere.stderr).toContain(`User "${ENGINEER}"`)

    // Revoked: refused at once, even with the kubeconfig and token kept from before.
    const refused = await refusedAfter(
      alice,
      () => admin.must('grants', 'remove', ENGINEER, 'dev.web', '--role', 'edit'),
      'the connector to refuse alice',
    )
    await waitFor(
      async () => !(await contextsOf(alice)).includes('infra:dev.web'),
      'the agent to remove the context',
    )
    console.log(
      `grant to working kubectl: ${Math.round(usable)} ms; revocation to refusal: ${Math.round(refused)} ms`,
    )
    // Well within the kubectl token's 5 minutes. The sub-second figure itself is the connector's to prove
    // (its tests and benchmark); here every try also starts kubectl and `infra tokens add`.
    expect(refused).toBeLessThan(5_000)
  })

  ;(chromiumPath ? it : it.skip)(
    'logs in through the company’s identity provider in Chromium, gets access by a provider group, loses it when the provider drops her',
    async () => {
      await admin.must(
        'providers',
        'add',
        'company-sso',
        '--url',
        idp.issuer,
        '--client-id',
        idp.clientID,
        '--client-secret',
        idp.clientSecret,
      )
      idp.accounts.set('grace', { email: 'grace@example.com', groups: ['platform-team'] })

      // `infra login --provider` prints where to log in; Chromium goes there (BROWSER=true opens nothing).
      const login = Program.start(
        'infra login',
        INFRA_BIN,
        ['login', serverAddress, '--provider', 'company-sso', ...trustServer],
        {
          ...grace.env,
          BROWSER: 'true',
        },
      )
      const address = await waitFor(
        () => /\n(http:\/\/127\.0\.0\.1:\d+\/auth\?\S+)/.exec(login.logs())?.[1],
        'the login address',
      )
      const browser = await launchChromium()
      try {
        const page = await browser.newPage()
        await page.goto(address)
        await page.fill('input[name=login]', 'grace')
        recordSecrets(GRACE_PASSWORD)
        await page.fill('input[name=password]', GRACE_PASSWORD)
        await page.click('button[type=submit]')
        // The provider asks to confirm what Infra may see, then sends the browser back to the CLI.
        await page.click('button[type=submit]')
        await page.waitForURL(/127\.0\.0\.1:\d+\/callback/)
        expect(await page.textContent('h1')).toBe('Logged in to Infra')
      } finally {
        await browser.close()
      }
      expect(await login.exited).toBe(0)
      expect(login.logs()).toContain('Logged in as grace@example.com')

      // Access by the group the provider says she is in.
      await run('kubectl', [
        '--kubeconfig',
        kube.kubeconfigPath,
        'create',
        'configmap',
        'for-platform',
        '-n',
        'web',
      ])
      await admin.must('grants', 'add', 'platform-team', 'dev.web', '--group', '--role', 'view')
      const listed = await waitFor(async () => {
        const result = await grace.kubectl('--context', 'infra:dev.web', 'get', 'configmaps', '-o', 'name')
        return result.code === 0 && result.stdout
      }, 'kubectl to work for the provider group')
      expect(listed).toContain('configmap/for-platform')

      // She leaves the company: her account goes from the provider, and within seconds kubectl is refused, even
      // with the kubeconfig and the token she already had.
      const refused = await refusedAfter(
        grace,
        () => idp.accounts.delete('grace'),
        'kubectl to be refused after the account was removed at the provider',
      )
      console.log(`account removed at the provider to kubectl refused: ${Math.round(refused)} ms`)
    },
  )

  it('with two clusters: a token works at the cluster it is for, never at the other; one cached token each', async () => {
    const engineer = 'bob@example.com'
    await admin.must('users', 'add', engineer)
    await admin.must('grants', 'add', engineer, 'dev.web', '--role', 'view')
    await admin.must('grants', 'add', engineer, 'staging.web', '--role', 'view')
    const key = await admin.must('keys', 'add', engineer)
    await bob.must('login', serverAddress, '--key', key, '--no-agent', ...trustServer)
    expect(await contextsOf(bob)).toEqual(['infra:dev.web', 'infra:staging.web'])
    const list = (context: string, ...args: string[]) =>
      bob.kubectl('--context', context, ...args, 'get', 'configmaps', '-o', 'name')
    for (const context of ['infra:dev.web', 'infra:staging.web']) {
      await waitFor(async () => (await list(context)).code === 0, `kubectl to work at ${context}`)
    }

    // kubectl on both clusters at once, from an empty token cache: each process gets its own cluster's token.
    const cache = join(bob.home, '.infra', 'cache', 'tokens')
    rmSync(cache, { recursive: true, force: true })
    const results = await Promise.all(
      ['infra:dev.web', 'infra:staging.web'].flatMap((context) =>
        Array.from({ length: 5 }, () => list(context)),
      ),
    )
    for (const result of results) expect(result).toMatchObject({ code: 0, stderr: '' })
    const cached = readdirSync(cache)
      .filter((file) => file.endsWith('.json'))
      .map((file) => (JSON.parse(readFileSync(join(cache, file), 'utf8')) as { token: string }).token)
    const audiences = cached.map(
      (token) =>
        (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { aud: unknown }).aud,
    )
    expect(audiences.sort()).toEqual([
      ['infra', 'dev'],
      ['infra', 'staging'],
    ])

    // The token kubectl got for dev, replayed at staging's connector (as a compromised dev cluster could): 401.
    const devToken = JSON.parse(await bob.must('tokens', 'add', '--destination', 'dev')).status
      .token as string
    const replay = join(bob.dir, 'replay-kubeconfig')
    copyFileSync(bob.kubeconfig, replay)
    await run('kubectl', [
      '--kubeconfig',
      replay,
      'config',
      'set-credentials',
      'replayer',
      `--token=${devToken}`,
    ])
    const at = (context: string) => list(context, '--kubeconfig', replay, '--user', 'replayer')
    const refused = await at('infra:staging.web')
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toMatch(/Unauthorized|must be logged in/)
    expect(await at('infra:dev.web')).toMatchObject({ code: 0 })
  })
})
