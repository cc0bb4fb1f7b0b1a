import { afterAll, beforeAll, expect, it } from '@jest/globals'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exec, PACKAGE_DIR, sandbox, startTestServer, type Sandbox, type TestServer } from './helpers.js'

// How users install it: `npm i -g @infra/cli`. The tarball is what `pnpm pack` makes (workspace: versions
// rewritten); everything but the native keyring is bundled into dist/, so it installs from this tarball alone.
let dir: string
let prefix: string
let box: Sandbox
let t: TestServer

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'infra-cli-package-'))
  prefix = join(dir, 'prefix')
  // As in a user's shell: besides PATH and HOME, the CA a TLS-intercepting proxy needs, when the machine has one.
  const trust = process.env.NODE_EXTRA_CA_CERTS
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    ...(trust ? { NODE_EXTRA_CA_CERTS: trust } : {}),
  }
  const pack = await exec('pnpm', ['--dir', PACKAGE_DIR, 'pack', '--pack-destination', dir], env)
  if (pack.code !== 0) throw new Error(`pnpm pack failed: ${pack.stderr}`)
  const tarball = readdirSync(dir).find((file) => file.endsWith('.tgz'))
  if (!tarball) throw new Error('no tarball')
  const install = await exec(
    'npm',
    [
      'install',
      '--global',
      '--prefix',
      prefix,
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      join(dir, tarball),
    ],
    { ...env, npm_config_cache: join(process.env.HOME ?? dir, '.npm') },
  )
  if (install.code !== 0) throw new Error(`npm install failed: ${install.stderr}`)
  box = sandbox({ PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? ''}` })
  t = await startTestServer()
}, 180_000)

afterAll(async () => {
  await t?.close()
  box?.cleanup()
  rmSync(dir, { recursive: true, force: true })
})

it('the installed infra prints its help and version', async () => {
  const help = await exec('infra', ['--help'], box.env)
  expect(help.code).toBe(0)
  expect(help.stdout).toContain('infra login [SERVER]')
  expect(await exec('infra', ['version'], box.env)).toEqual({
    code: 0,
    stdout: 'Client: 0.1.0\nAPI:    0.22.0\n',
    stderr: '',
  })
  expect((await exec('infra', ['users', '--help'], box.env)).stdout).toContain('infra users add USER')
})

it('the installed infra logs in and talks to a server (yargs and the SDK load from the bundle)', async () => {
  expect((await exec('infra', ['login', t.url, '--key', t.adminKey], box.env)).code).toBe(0)
  expect(await exec('infra', ['users', 'list'], box.env)).toEqual({
    code: 0,
    stdout: expect.stringMatching(/^NAME {3}LAST SEEN\nadmin {2}(just now|never)\n$/),
    stderr: '',
  })
  const token = await exec('infra', ['tokens', 'add'], box.env)
  expect(JSON.parse(token.stdout).kind).toBe('ExecCredential')
})

it('the installed infra loads the native keyring module', async () => {
  const env = { ...box.env, INFRA_KEYRING: '' }
  const login = await exec('infra', ['login', t.url, '--key', t.adminKey, '--log-level', 'debug'], env)
  expect(login.code).toBe(0)
  // Either the keyring took the key, or it answered that it cannot (no secret service): both mean it loaded.
  expect(login.stderr).toMatch(
    /in the OS keyring|the OS keyring is not available \(Couldn't access platform storage/,
  )
  expect((await exec('infra', ['logout'], env)).code).toBe(0)
})
