import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { createServer, type Server } from 'node:https'
import { join } from 'node:path'
import { run, sandbox, startTestServer, terminal, type Sandbox, type TestServer } from './helpers.js'
import { createSelfSigned, type TestCertificate } from '@infra/test-harness/certificates'

let t: TestServer
let proxy: Server
let url: string
let certificate: TestCertificate
let fingerprint: string
const boxes: Sandbox[] = []
const newBox = () => {
  const box = sandbox()
  boxes.push(box)
  return box
}
const config = (box: Sandbox) => JSON.parse(readFileSync(join(box.home, '.infra', 'config'), 'utf8'))

beforeAll(async () => {
  t = await startTestServer()
  certificate = await createSelfSigned({ dns: ['localhost'], ip: ['127.0.0.1'] })
  fingerprint = new X509Certificate(certificate.certificate).fingerprint256
  // TLS in front of the server, as a self-signed deployment would have it.
  const target = new URL(t.url)
  proxy = createServer({ cert: certificate.certificate, key: certificate.key }, (req, res) => {
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  url = `https://127.0.0.1:${(proxy.address() as { port: number }).port}`
})

afterAll(async () => {
  proxy.closeAllConnections()
  await new Promise((resolve) => proxy.close(resolve))
  await t.close()
  for (const box of boxes) box.cleanup()
})

it('an unknown certificate: its fingerprint is shown and login refuses without a prompt', async () => {
  const box = newBox()
  const result = await run(['login', url, '--key', t.adminKey], box.env)
  expect(result.code).toBe(1)
  expect(result.stderr).toContain(`The certificate of 127.0.0.1:${new URL(url).port} is not trusted.\n`)
  expect(result.stderr).toContain(`  Fingerprint: ${fingerprint} (SHA-256)\n`)
  expect(result.stderr).toContain(
    `error: the TLS certificate of 127.0.0.1:${new URL(url).port} is not trusted\n` +
      `hint: after checking the fingerprint with your administrator, pass --tls-trusted-fingerprint ${fingerprint}\n`,
  )
})

it('--tls-trusted-fingerprint answers in advance; the certificate is remembered for the server', async () => {
  const box = newBox()
  const wrong = await run(['login', url, '--key', t.adminKey, '--tls-trusted-fingerprint', 'AA:BB'], box.env)
  expect(wrong.code).toBe(1)
  expect(wrong.stderr).toContain(
    `has the SHA-256 fingerprint ${fingerprint}, not the one given with --tls-trusted-fingerprint`,
  )

  const result = await run(
    [
      'login',
      url,
      '--key',
      t.adminKey,
      '--tls-trusted-fingerprint',
      fingerprint.toLowerCase().replaceAll(':', ''),
    ],
    box.env,
  )
  expect(result).toEqual({
    code: 0,
    stdout: '',
    stderr: `Logged in as admin to 127.0.0.1:${new URL(url).port}\n`,
  })
  expect(config(box).servers[0]).toMatchObject({
    url,
    trustedFingerprint: fingerprint,
    trustedCertificate: certificate.certificate,
  })
  // Later commands trust it without asking.
  expect((await run(['users', 'list'], box.env)).code).toBe(0)
})

it('--skip-tls-verify is remembered for the server', async () => {
  const box = newBox()
  expect((await run(['login', url, '--key', t.adminKey, '--skip-tls-verify'], box.env)).code).toBe(0)
  expect(config(box).servers[0]).toMatchObject({ url, skipTLSVerify: true })
  expect((await run(['users', 'list'], box.env)).code).toBe(0)
})

it('asks to trust it on a terminal (pty)', async () => {
  const box = newBox()
  const term = terminal(['login', url, '--key', t.adminKey], box.env)
  await term.expect(`Fingerprint: ${fingerprint} (SHA-256)`)
  await term.expect('Trust this certificate?')
  term.write('y')
  await term.expect('Logged in as admin')
  expect(await term.exit).toBe(0)
  expect(config(box).servers[0].trustedFingerprint).toBe(fingerprint)
})

it('a changed certificate is not trusted, and the message says what to do', async () => {
  const box = newBox()
  await run(['login', url, '--key', t.adminKey, '--tls-trusted-fingerprint', fingerprint], box.env)
  const other = await createSelfSigned({ dns: ['localhost'], ip: ['127.0.0.1'] })
  proxy.setSecureContext({ cert: other.certificate, key: other.key })
  proxy.closeAllConnections()
  try {
    const result = await run(['users', 'list'], box.env)
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(
      new RegExp(
        `^error: the TLS certificate of ${url.replaceAll('.', '\\.')} is not trusted \\(\\S+\\)\\n` +
          'hint: run infra login to review and trust it, or pass --skip-tls-verify for self-signed certificates\\n$',
      ),
    )
    const relogin = await run(['login', url, '--key', t.adminKey], box.env)
    expect(relogin.stderr).toContain(`WARNING: it is not the certificate trusted before (${fingerprint})`)
  } finally {
    proxy.setSecureContext({ cert: certificate.certificate, key: certificate.key })
  }
})

describe('the server over HTTPS with the certificate it generated', () => {
  let secure: TestServer
  let address: string
  let printed: string

  beforeAll(async () => {
    // On every address, so that a loopback address the certificate does not name reaches it too.
    secure = await startTestServer({ tls: { selfSigned: {} }, host: '0.0.0.0' })
    printed = secure.server.tls!.fingerprint
    // As the newcomer types it, from the command the server prints.
    address = `localhost:${secure.server.port}`
  })

  afterAll(() => secure.close())

  it('infra login shows the fingerprint the server printed; with it, logs in, and later commands work', async () => {
    const box = newBox()
    const untrusted = await run(['login', address, '--key', secure.adminKey], box.env)
    expect(untrusted.code).toBe(1)
    expect(untrusted.stderr).toContain(`  Fingerprint: ${printed} (SHA-256)\n`)
    expect(untrusted.stderr).toContain(`pass --tls-trusted-fingerprint ${printed}`)

    const login = await run(
      ['login', address, '--key', secure.adminKey, '--tls-trusted-fingerprint', printed],
      box.env,
    )
    expect(login).toEqual({ code: 0, stdout: '', stderr: `Logged in as admin to ${address}\n` })
    expect(config(box).servers[0]).toMatchObject({
      url: `https://${address}`,
      trustedFingerprint: printed,
      trustedCertificate: secure.server.tls!.certificate,
    })
    const users = await run(['users', 'list'], box.env)
    expect(users).toMatchObject({ code: 0, stdout: expect.stringContaining('admin') })
  })

  it('the pinned certificate is trusted by an address it does not name', async () => {
    const box = newBox()
    // Loopback, but not among the certificate's names (localhost, 127.0.0.1, ::1, the host name).
    const elsewhere = `127.0.0.2:${secure.server.port}`
    const result = await run(
      ['login', elsewhere, '--key', secure.adminKey, '--tls-trusted-fingerprint', printed],
      box.env,
    )
    expect(result).toMatchObject({ code: 0, stderr: `Logged in as admin to ${elsewhere}\n` })
    expect((await run(['users', 'list'], box.env)).code).toBe(0)
  })
})
