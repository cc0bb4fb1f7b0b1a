import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { run, type TestDatabase, createTestDatabase } from '@infra/test-harness'
import {
  createAuthority,
  createSelfSigned,
  type Authority,
  type TestCertificate,
} from '@infra/test-harness/certificates'
import { X509Certificate } from 'node:crypto'
import { request } from 'node:https'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, type PeerCertificate } from 'node:tls'
import { fileURLToPath } from 'node:url'
import { startTestServer, type TestServer } from './harness.js'
import { capturingStderr, collectingLogger, eventually } from './helpers.js'

const bin = fileURLToPath(new URL('../dist/bin/infra-server.js', import.meta.url))

let dir: string
let authority: Authority
let database: TestDatabase
const started: TestServer[] = []

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'infra-server-tls-'))
  authority = await createAuthority()
  database = await createTestDatabase()
})

afterEach(async () => {
  while (started.length > 0) await started.pop()!.close()
})

afterAll(async () => {
  await database.drop()
  await rm(dir, { recursive: true, force: true })
})

/** Starts a server; what it printed to stderr (the fingerprint, with a self-signed certificate) in `printed`. */
async function start(options: Parameters<typeof startTestServer>[0]) {
  const { result: server, stderr } = await capturingStderr(() => startTestServer(options, database))
  started.push(server)
  return Object.assign(server, { printed: stderr })
}

async function writePair(name: string, pair: TestCertificate) {
  const files = { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) }
  await writeFile(files.certFile, pair.certificate)
  await writeFile(files.keyFile, pair.key)
  return files
}

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256

/** The certificate a new connection to `url` is shown, unverified. */
function servedCertificate(url: string): Promise<PeerCertificate> {
  const { hostname: host, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(port), servername: 'localhost', rejectUnauthorized: false })
    socket.once('secureConnect', () => {
      resolve(socket.getPeerCertificate())
      socket.end()
    })
    socket.once('error', reject)
  })
}

/** GET over HTTPS trusting `ca` only, with the normal host-name check. */
function get(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { ca, agent: false }, (response) => {
      let body = ''
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
    })
      .on('error', reject)
      .end()
  })
}

describe('HTTPS with a given certificate and key', () => {
  it('serves them, health endpoint included, and says so in the log', async () => {
    const pair = await authority.issue({ dns: ['localhost'], ip: ['127.0.0.1'] })
    const log = collectingLogger()
    const t = await start({ tls: await writePair('given', pair), logger: log.logger })
    expect(t.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    expect(t.server.tls?.fingerprint).toBe(fingerprint(pair.certificate))
    expect(await get(`${t.url}/healthz`, authority.certificate)).toEqual({
      status: 200,
      body: JSON.stringify({ status: 'ok' }),
    })
    expect(log.text()).toContain(fingerprint(pair.certificate))
    await expect(get(`${t.url}/healthz`, (await createAuthority('Other CA')).certificate)).rejects.toThrow(
      /certificate/,
    )
  })

  it('follows the files: a new connection gets the new certificate; a bad pair keeps the old one', async () => {
    const first = await authority.issue({ ip: ['127.0.0.1'] })
    const files = await writePair('rotated', first)
    const log = collectingLogger()
    const t = await start({ tls: { ...files, reloadCheckMs: 50 }, logger: log.logger })
    expect((await servedCertificate(t.url)).fingerprint256).toBe(fingerprint(first.certificate))

    // Half a rotation: the new certificate beside the old key.
    const second = await authority.issue({ ip: ['127.0.0.1'] })
    await writeFile(files.certFile, second.certificate)
    await eventually(() =>
      Promise.resolve(expect(log.text()).toContain('kept serving the previous TLS certificate')),
    )
    expect(log.text()).toContain(`does not belong to the certificate ${files.certFile}`)
    expect((await servedCertificate(t.url)).fingerprint256).toBe(fingerprint(first.certificate))

    await writeFile(files.keyFile, second.key)
    await eventually(async () =>
      expect((await servedCertificate(t.url)).fingerprint256).toBe(fingerprint(second.certificate)),
    )
    expect(log.text()).toContain('reloaded the TLS certificate')
    expect((await get(`${t.url}/healthz`, authority.certificate)).status).toBe(200)
  })

  it('keeps connections open across a reload', async () => {
    const files = await writePair('kept', await authority.issue({ ip: ['127.0.0.1'] }))
    const t = await start({ tls: { ...files, reloadCheckMs: 50 } })
    const { hostname: host, port } = new URL(t.url)
    const socket = connect({ host, port: Number(port), ca: authority.certificate })
    await new Promise((resolve) => socket.once('secureConnect', resolve))
    const next = await authority.issue({ ip: ['127.0.0.1'] })
    await writePair('kept', next)
    await eventually(async () =>
      expect((await servedCertificate(t.url)).fingerprint256).toBe(fingerprint(next.certificate)),
    )
    const answer = new Promise<string>((resolve) => socket.once('data', (chunk) => resolve(String(chunk))))
    socket.write(`GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
    expect(await answer).toMatch(/^HTTP\/1\.1 200 OK/)
    socket.destroy()
  })

  it('refuses to start, saying why, when the files are missing, not PEM, or do not belong together', async () => {
    const good = await writePair('good', await authority.issue({ ip: ['127.0.0.1'] }))
    const other = await writePair('other', await authority.issue({ ip: ['127.0.0.1'] }))
    const garbage = join(dir, 'garbage.pem')
    await writeFile(garbage, 'not a certificate\n')
    const missing = join(dir, 'missing.pem')
    const refusal = (tls: { certFile: string; keyFile: string }) =>
      start({ tls }).then(
        () => 'started',
        (error: Error) => error.message,
      )
    expect(await refusal({ ...good, certFile: missing })).toBe(
      `cannot read the TLS certificate ${missing}: no such file`,
    )
    expect(await refusal({ ...good, certFile: garbage })).toBe(
      `the TLS certificate ${garbage} holds no PEM certificate`,
    )
    expect(await refusal({ ...good, keyFile: garbage })).toBe(
      `the TLS key ${garbage} holds no unencrypted PEM private key`,
    )
    expect(await refusal({ ...good, keyFile: other.keyFile })).toBe(
      `the TLS key ${other.keyFile} does not belong to the certificate ${good.certFile}`,
    )
  })
})

describe('HTTPS with the self-signed certificate the server makes', () => {
  it('is generated once into DATA_DIR/tls, kept across restarts, its fingerprint printed at every start', async () => {
    const dataDir = await mkdtemp(join(dir, 'data-'))
    const log = collectingLogger()
    const first = await start({ dataDir, tls: { selfSigned: {} }, logger: log.logger })
    const certificate = await readFile(join(dataDir, 'tls', 'cert.pem'), 'utf8')
    const printed = fingerprint(certificate)
    expect(first.server.tls).toEqual({ certificate, fingerprint: printed })
    expect(first.printed).toContain(`\n    ${printed}\n`)
    expect(log.text()).toContain('generated a self-signed TLS certificate')
    expect(log.text()).toContain(printed)
    expect((await servedCertificate(first.url)).fingerprint256).toBe(printed)
    expect((await get(`${first.url}/healthz`, certificate)).status).toBe(200)
    await first.close()
    started.pop()

    const again = collectingLogger()
    const second = await start({ dataDir, tls: { selfSigned: {} }, logger: again.logger })
    expect(second.server.tls?.fingerprint).toBe(printed)
    expect(second.printed).toContain(`\n    ${printed}\n`)
    expect(again.text()).not.toContain('generated a self-signed TLS certificate')
    expect(await readFile(join(dataDir, 'tls', 'cert.pem'), 'utf8')).toBe(certificate)
  })

  it('holds localhost, the loopback addresses, the host name and the names asked for; new names, new certificate', async () => {
    const dataDir = await mkdtemp(join(dir, 'data-'))
    const plain = await start({ dataDir, tls: { selfSigned: {} } })
    const before = plain.server.tls!.fingerprint
    await plain.close()
    started.pop()

    const log = collectingLogger()
    const named = await start({
      dataDir,
      tls: { selfSigned: { hostnames: ['infra.example.com', '10.1.2.3'] } },
      logger: log.logger,
    })
    const certificate = new X509Certificate(named.server.tls!.certificate)
    expect(certificate.fingerprint256).not.toBe(before)
    expect(log.text()).toContain('the host names asked for changed')
    expect(certificate.subjectAltName?.split(', ').sort()).toEqual(
      [
        'DNS:localhost',
        `DNS:${hostname()}`,
        'DNS:infra.example.com',
        'IP Address:127.0.0.1',
        'IP Address:0:0:0:0:0:0:0:1',
        'IP Address:10.1.2.3',
      ].sort(),
    )
    expect(certificate.ca).toBe(false)
    expect(
      (await get(`https://localhost:${named.server.port}/healthz`, named.server.tls!.certificate)).status,
    ).toBe(200)
  })

  it('is made anew when the kept one expires soon', async () => {
    const dataDir = await mkdtemp(join(dir, 'data-'))
    // Valid for a day only.
    const expiring = await createSelfSigned({ dns: ['localhost'] })
    await mkdir(join(dataDir, 'tls'))
    await writeFile(join(dataDir, 'tls', 'cert.pem'), expiring.certificate)
    await writeFile(join(dataDir, 'tls', 'key.pem'), expiring.key)
    const log = collectingLogger()
    const t = await start({ dataDir, tls: { selfSigned: {} }, logger: log.logger })
    expect(log.text()).toContain('it expires soon')
    expect(t.server.tls?.fingerprint).not.toBe(fingerprint(expiring.certificate))
  })
})

describe('plain HTTP', () => {
  it('only when asked (insecure-http), with a warning in the log', async () => {
    const log = collectingLogger()
    const t = await start({ tls: 'insecure-http', logger: log.logger })
    expect(t.url).toMatch(/^http:\/\//)
    expect(t.server.tls).toBeUndefined()
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200)
    expect(
      JSON.parse(
        log
          .text()
          .split('\n')
          .find((line) => line.includes('plain HTTP'))!,
      ),
    ).toMatchObject({
      level: 40,
      msg: expect.stringContaining('in clear'),
    })
  })
})

describe('infra-server', () => {
  it('says in one line why a certificate cannot be served, and exits', async () => {
    const garbage = join(dir, 'bad.pem')
    await writeFile(garbage, 'not a certificate\n')
    const result = await run(process.execPath, [bin, '--tls-cert', garbage, '--tls-key', garbage], {
      env: { PATH: process.env.PATH, DATABASE_URL: database.url, INFRA_SERVER_DATA_DIR: dir },
    })
    expect(result).toMatchObject({
      code: 1,
      stderr: `infra-server: the TLS certificate ${garbage} holds no PEM certificate\n`,
    })
  })
})
