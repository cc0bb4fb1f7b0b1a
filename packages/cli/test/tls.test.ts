import { afterAll, beforeAll, expect, it } from '@jest/globals'
import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { createServer, type Server } from 'node:https'
import { join } from 'node:path'
import {
  run,
  sandbox,
  selfSignedCertificate,
  startTestServer,
  terminal,
  type Sandbox,
  type TestServer,
} from './helpers.js'

let t: TestServer
let proxy: Server
let url: string
let certificate: { cert: string; key: string }
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
  certificate = await selfSignedCertificate('infra-server')
  fingerprint = new X509Certificate(certificate.cert).fingerprint256
  // TLS in front of the server, as a self-signed deployment would have it.
  const target = new URL(t.url)
  proxy = createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
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
    trustedCertificate: certificate.cert,
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
  const other = await selfSignedCertificate('impostor')
  proxy.setSecureContext({ cert: other.cert, key: other.key })
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
    proxy.setSecureContext({ cert: certificate.cert, key: certificate.key })
  }
})
