// The packages as npm users get them: every public package packed (`pnpm pack`, as `pnpm publish` packs it), the
// tarballs installed together into a fresh directory with npm, the CLI with `npm i -g`; nothing from the
// workspace. Then the installed server, connector, SDK and CLI work together against the real kube-apiserver.
import {
  createTestDatabase,
  eventually,
  freePort,
  randomAccessKey,
  run,
  type TestDatabase,
} from '@infra/test-harness'
import { startKubeApiServer, type KubeApiServer } from '@infra/test-harness/kube'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import {
  accessSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, isAbsolute, join } from 'node:path'
import { Person, Program, ROOT } from './system.js'

const ENGINEER = 'alice@example.com'

let dir: string
let project: string
let prefix: string
let database: TestDatabase
let kube: KubeApiServer
let server: Program
let connector: Program
let serverUrl: string
let adminKey: string
let admin: Person
let alice: Person

/** npm as in a user's shell: their PATH and HOME (so npm's own cache), and the CA of the machine's proxy if any. */
const npmEnv: NodeJS.ProcessEnv = {
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? tmpdir(),
  ...(process.env.NODE_EXTRA_CA_CERTS ? { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } : {}),
}

async function must(file: string, args: string[], env: NodeJS.ProcessEnv = npmEnv): Promise<string> {
  const result = await run(file, args, { env, timeoutMs: 300_000 })
  if (result.code !== 0)
    throw new Error(`${file} ${args.join(' ')} failed (${result.code}):\n${result.stderr}`)
  return result.stdout
}

const npmInstall = (args: string[]) =>
  must('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel', 'error', ...args])

const installedBin = (name: string) => join(project, 'node_modules', '.bin', name)

/** The file a kubeconfig exec command runs for this person, as kubectl finds it (PATH for a bare name). */
function resolveCommand(command: string, person: Person): string {
  if (isAbsolute(command)) return realpathSync(command)
  for (const path of (person.env.PATH ?? '').split(delimiter)) {
    try {
      accessSync(join(path, command), constants.X_OK)
      return realpathSync(join(path, command))
    } catch {
      // not in this directory
    }
  }
  throw new Error(`${command} is not on ${person.name}'s PATH`)
}

/** Every exec plugin of the person's kubeconfig: user name → the file its command runs. */
async function execPlugins(person: Person): Promise<Record<string, string>> {
  const config = JSON.parse((await person.kubectl('config', 'view', '-o', 'json')).stdout) as {
    users: { name: string; user: { exec?: { command: string } } }[]
  }
  return Object.fromEntries(
    config.users.flatMap(({ name, user }) =>
      user.exec ? [[name, resolveCommand(user.exec.command, person)]] : [],
    ),
  )
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'infra-packages-'))
  const tarballs = join(dir, 'tarballs')
  project = join(dir, 'project')
  prefix = join(dir, 'global')
  mkdirSync(project)

  const packages = JSON.parse(await must(process.execPath, [join(ROOT, '.ci', 'public-packages.mjs')])) as {
    name: string
    path: string
  }[]
  await Promise.all(
    packages.map((pkg) => must('pnpm', ['--dir', pkg.path, 'pack', '--pack-destination', tarballs])),
  )
  const files = readdirSync(tarballs).map((file) => join(tarballs, file))
  expect(files).toHaveLength(packages.length)
  // Together, so the tarballs' dependencies on each other (workspace:* rewritten to versions) resolve to them.
  await npmInstall(['--prefix', project, ...files])
  const cli = files.find((file) => file.includes('infra-cli-'))
  if (!cli) throw new Error(`no CLI tarball among ${files.join(', ')}`)
  await npmInstall(['--global', '--prefix', prefix, cli])
  admin = new Person('admin', join(prefix, 'bin'))
  alice = new Person('alice', join(prefix, 'bin'))

  ;[database, kube] = await Promise.all([createTestDatabase(), startKubeApiServer()])
  await run('kubectl', ['--kubeconfig', kube.kubeconfigPath, 'create', 'namespace', 'web'])
}, 600_000)

afterAll(async () => {
  await Promise.allSettled([alice?.infra('logout'), admin?.infra('logout')])
  await Promise.allSettled([connector?.stop(), server?.stop()])
  await Promise.allSettled([kube?.stop(), database?.drop()])
  for (const person of [admin, alice]) person?.cleanup()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('the installed packages', () => {
  it('`npm i -g @infra/cli` gives a working infra', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'packages/cli/package.json'), 'utf8')) as {
      version: string
    }
    expect(await admin.infra('--version')).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' })
    expect(await admin.infra('version')).toEqual({
      code: 0,
      stdout: `Client: ${version}\nAPI:    0.22.0\n`,
      stderr: '',
    })
    expect((await admin.infra('--help')).stdout).toContain('infra login [SERVER]')
    expect((await admin.infra('users', '--help')).stdout).toContain('infra users add USER')
  })

  it('infra-server and infra-connector answer --help', async () => {
    for (const [bin, usage] of [
      ['infra-server', 'Runs the Infra server'],
      ['infra-connector', '--server'],
    ] as const) {
      const help = await run(installedBin(bin), ['--help'], { env: npmEnv })
      expect({ bin, code: help.code, usage: help.stdout.includes(usage) }).toEqual({
        bin,
        code: 0,
        usage: true,
      })
    }
  })

  it('the installed server starts, and the installed infra logs in to it', async () => {
    adminKey = randomAccessKey()
    const port = await freePort()
    serverUrl = `http://127.0.0.1:${port}`
    // Plain HTTP on loopback; once the server serves TLS by default, it has to be asked for.
    const insecure = (await must(installedBin('infra-server'), ['--help'])).includes('--insecure-http')
    server = Program.start(
      'infra-server',
      installedBin('infra-server'),
      ['--port', String(port), '--data-dir', join(dir, 'server'), ...(insecure ? ['--insecure-http'] : [])],
      { ...npmEnv, DATABASE_URL: database.url, INFRA_ADMIN_ACCESS_KEY: adminKey },
    )
    await server.waitUntilReady(`${serverUrl}/api/version`, { headers: { 'Infra-Version': '0.17.0' } })
    expect(await admin.must('login', serverUrl, '--key', adminKey, '--no-agent')).toBe('')
    expect(await admin.must('users', 'list')).toMatch(/^NAME {3}LAST SEEN\nadmin {2}(just now|never)$/)
  })

  it('the installed infra loads its native keyring module', async () => {
    const person = new Person('keyring', join(prefix, 'bin'))
    try {
      const env = { ...person.env, INFRA_KEYRING: '' }
      const infra = join(prefix, 'bin', 'infra')
      const login = await run(
        infra,
        ['login', serverUrl, '--key', adminKey, '--no-agent', '--log-level', 'debug'],
        {
          env,
        },
      )
      expect(login.code).toBe(0)
      // Either the keyring took the key, or it answered that it cannot (no secret service): both mean it loaded.
      expect(login.stderr).toMatch(
        /in the OS keyring|the OS keyring is not available \(Couldn't access platform storage/,
      )
      expect((await run(infra, ['logout'], { env })).code).toBe(0)
    } finally {
      person.cleanup()
    }
  })

  it('a script importing @infra/client-sdk lists the users', async () => {
    const script = join(project, 'list-users.mjs')
    writeFileSync(
      script,
      [
        "import { InfraClient } from '@infra/client-sdk'",
        'const infra = new InfraClient({ server: process.env.INFRA_SERVER, accessKey: process.env.INFRA_ACCESS_KEY })',
        'for await (const user of infra.users.iterate()) console.log(user.name)',
        '',
      ].join('\n'),
    )
    expect(
      await must(process.execPath, [script], {
        ...npmEnv,
        INFRA_SERVER: serverUrl,
        INFRA_ACCESS_KEY: adminKey,
      }),
    ).toBe('admin\n')
  })

  it('kubectl works through the installed connector, run by the exec plugin the installed infra wrote', async () => {
    const [proxyPort, healthPort] = [await freePort(), await freePort()]
    connector = Program.start(
      'infra-connector',
      installedBin('infra-connector'),
      [
        ...['--server', serverUrl, '--name', 'dev', '--kubeconfig', kube.kubeconfigPath],
        ...['--endpoint', `127.0.0.1:${proxyPort}`, '--listen', `127.0.0.1:${proxyPort}`],
        ...['--health-listen', `127.0.0.1:${healthPort}`, '--state-dir', join(dir, 'connector')],
      ],
      { ...npmEnv, INFRA_ACCESS_KEY: await admin.must('keys', 'add', 'connector') },
    )
    await connector.waitUntilReady(`http://127.0.0.1:${healthPort}/readyz`)
    await admin.must('users', 'add', ENGINEER)
    await admin.must('grants', 'add', ENGINEER, 'dev.web', '--role', 'edit')
    const installed = realpathSync(join(prefix, 'lib', 'node_modules', '@infra', 'cli', 'dist', 'infra.js'))

    // What `infra login` wrote.
    await alice.must('login', serverUrl, '--key', await admin.must('keys', 'add', ENGINEER))
    expect(await execPlugins(alice)).toEqual({ 'infra:dev': installed })
    const created = await alice.kubectl('--context', 'infra:dev.web', 'create', 'configmap', 'from-alice')
    expect(created).toEqual({ code: 0, stdout: 'configmap/from-alice created\n', stderr: '' })

    // What the background agent (the installed CLI's too) writes when access changes. So that this cannot be
    // what the login wrote, the login's exec command is broken first; the agent rewrites the entries it manages.
    await alice.kubectl('config', 'set-credentials', 'infra:dev', '--exec-command', 'false')
    await admin.must('grants', 'add', ENGINEER, 'dev', '--role', 'view')
    await eventually(
      async () =>
        (await alice.kubectl('config', 'get-contexts', '-o', 'name')).stdout.includes('infra:dev\n'),
      15_000,
      25,
      'the agent to add the context infra:dev',
    )
    expect(await execPlugins(alice)).toEqual({ 'infra:dev': installed })
    const listed = await alice.kubectl(
      '--context',
      'infra:dev',
      'get',
      'configmaps',
      '-n',
      'web',
      '-o',
      'name',
    )
    expect(listed).toEqual({ code: 0, stdout: 'configmap/from-alice\n', stderr: '' })
  })
})
