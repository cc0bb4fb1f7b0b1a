import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

// An OS keyring that works (a secret service) or fails as it does without one: `setPassword` throws.
const store = new Map<string, string>()
let available = true
class Entry {
  constructor(
    readonly service: string,
    readonly account: string,
  ) {}
  setPassword(password: string) {
    if (!available)
      throw Object.assign(new Error("Couldn't access platform storage: AccessDenied"), {
        code: 'GenericFailure',
      })
    store.set(`${this.service}/${this.account}`, password)
  }
  getPassword() {
    return store.get(`${this.service}/${this.account}`) ?? null
  }
  deletePassword() {
    return store.delete(`${this.service}/${this.account}`)
  }
}
jest.unstable_mockModule('@napi-rs/keyring', () => ({ Entry }))

const { run, runBin, sandbox, startTestServer } = await import('./helpers.js')
type TestServer = Awaited<ReturnType<typeof startTestServer>>

let t: TestServer
const boxes: ReturnType<typeof sandbox>[] = []
const newBox = (extra: Record<string, string> = {}) => {
  // INFRA_KEYRING unset: the keyring is tried first.
  const box = sandbox({ INFRA_KEYRING: '', ...extra })
  boxes.push(box)
  return box
}
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'))

beforeAll(async () => {
  t = await startTestServer()
})
afterAll(async () => {
  await t.close()
  for (const box of boxes) box.cleanup()
})

describe('the access key in the OS keyring', () => {
  it('is stored under the service "infra" and the server URL, never in a file', async () => {
    available = true
    const box = newBox()
    const login = await run(['login', t.url, '--key', t.adminKey, '--log-level', 'debug'], box.env)
    expect(login.code).toBe(0)
    expect(login.stderr).toContain(`debug: stored the access key for ${t.url} in the OS keyring\n`)
    expect(store.get(`infra/${t.url}`)).toMatch(/^[0-9A-Za-z]{10}\.[0-9A-Za-z]{24}$/)
    expect(existsSync(join(box.home, '.infra', 'credentials'))).toBe(false)
    expect(readJson(join(box.home, '.infra', 'config')).servers[0].keyStore).toBe('keyring')
    expect((await run(['users', 'list'], box.env)).code).toBe(0)

    await run(['logout'], box.env)
    expect(store.has(`infra/${t.url}`)).toBe(false)
  })

  it('falls back to ~/.infra/credentials (0600) when setPassword throws, saying so once at debug level', async () => {
    available = false
    const box = newBox()
    const quiet = await run(['login', t.url, '--key', t.adminKey], box.env)
    expect(quiet).toEqual({ code: 0, stdout: '', stderr: `Logged in as admin to ${t.url}\n` })
    const debug = await run(['login', t.url, '--key', t.adminKey, '--log-level', 'debug'], box.env)
    const mentions = debug.stderr.split('\n').filter((line) => line.includes('keyring'))
    expect(mentions).toEqual([
      `debug: the OS keyring is not available (Couldn't access platform storage: AccessDenied): keeping access keys in ${box.home}/.infra/credentials (mode 0600) instead`,
    ])
    const credentials = join(box.home, '.infra', 'credentials')
    expect(readJson(credentials).keys[t.url]).toMatch(/^[0-9A-Za-z]{10}\.[0-9A-Za-z]{24}$/)
    const { statSync } = await import('node:fs')
    expect(statSync(credentials).mode & 0o777).toBe(0o600)
    expect(readJson(join(box.home, '.infra', 'config')).servers[0].keyStore).toBe('file')
    expect((await run(['users', 'list'], box.env)).code).toBe(0)
  })

  it('the real module on this machine: the bundled binary stores the key where it says it does', async () => {
    const box = newBox()
    const login = await runBin(['login', t.url, '--key', t.adminKey, '--log-level', 'debug'], box.env)
    expect(login.code).toBe(0)
    const keyStore = readJson(join(box.home, '.infra', 'config')).servers[0].keyStore
    if (keyStore === 'file') {
      expect(login.stderr).toContain('the OS keyring is not available')
      expect(existsSync(join(box.home, '.infra', 'credentials'))).toBe(true)
    } else {
      expect(login.stderr).toContain('in the OS keyring')
    }
    expect((await runBin(['users', 'list'], box.env)).code).toBe(0)
    // Logging out removes the key from wherever it went (the machine's keyring included).
    expect((await runBin(['logout'], box.env)).code).toBe(0)
  })
})
