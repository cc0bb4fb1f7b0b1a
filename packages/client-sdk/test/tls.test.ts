import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { request as httpRequest } from 'node:http'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { InfraClient, InfraNetworkError, type InfraClientOptions } from '../src/node.js'
import { createAuthority } from '@infra/test-harness/certificates'
import { startTestServer, type TestServer } from './harness.js'

let infra: TestServer
let proxy: Server
let port: number
let connections = 0
let caCertificate: string
let otherCaCertificate: string

/** An https front for the real server, with a certificate from a CA made for this test. */
async function startTlsProxy(tls: { certificate: string; key: string }): Promise<Server> {
  const server = createServer({ cert: tls.certificate, key: tls.key }, (req, res) => {
    const upstream = httpRequest(
      `${infra.url}${req.url}`,
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    upstream.on('error', () => res.writeHead(502).end())
    req.pipe(upstream)
  })
  server.on('connection', () => connections++)
  server.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', resolve))
  return server
}

beforeAll(async () => {
  infra = await startTestServer()
  const authority = await createAuthority()
  caCertificate = authority.certificate
  otherCaCertificate = (await createAuthority('Some Other CA')).certificate
  proxy = await startTlsProxy(await authority.issue({ dns: ['localhost'], ip: ['127.0.0.1'] }))
  port = (proxy.address() as AddressInfo).port
})

afterAll(async () => {
  proxy.closeAllConnections()
  await new Promise<void>((resolve) => proxy.close(() => resolve()))
  await infra.close()
})

async function withClient<T>(options: Partial<InfraClientOptions>, use: (client: InfraClient) => Promise<T>) {
  const client = new InfraClient({
    server: `https://127.0.0.1:${port}`,
    accessKey: infra.adminKey,
    ...options,
  })
  try {
    return await use(client)
  } finally {
    await client.close()
  }
}

async function tlsFailure(options: Partial<InfraClientOptions>): Promise<InfraNetworkError> {
  return withClient(options, async (client) => {
    try {
      await client.users.get('self')
    } catch (error) {
      expect(error).toBeInstanceOf(InfraNetworkError)
      return error as InfraNetworkError
    }
    throw new Error('expected a TLS failure')
  })
}

describe('TLS', () => {
  it('trusts a server whose certificate the given CA issued', async () => {
    const self = await withClient({ trustedCertificate: caCertificate }, (client) => client.users.get('self'))
    expect(self.name).toBe('admin')
  })

  it('sends bodies and reads errors through the TLS fetch too', async () => {
    await withClient({ trustedCertificate: caCertificate }, async (client) => {
      const group = await client.groups.create({ name: `tls-${Date.now()}` })
      expect(await client.groups.get(group.id)).toEqual(group)
      await client.groups.delete(group.id)
      await expect(client.groups.get(group.id)).rejects.toMatchObject({ status: 404 })
    })
  })

  it('reaches a bare host:port over https, checking the certificate against the name', async () => {
    const client = new InfraClient({
      server: `localhost:${port}`,
      accessKey: infra.adminKey,
      trustedCertificate: caCertificate,
    })
    try {
      expect(client.serverUrl).toBe(`https://localhost:${port}`)
      expect((await client.version()).version).toEqual(expect.any(String))
    } finally {
      await client.close()
    }
  })

  it('refuses an untrusted certificate with a TLS error, without retrying', async () => {
    const before = connections
    const error = await tlsFailure({})
    expect(error.isTLSError()).toBe(true)
    expect(error.code).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/)
    expect(error.message).toMatch(/trustedCertificate/)
    expect(connections - before).toBe(1)
  })

  it('refuses a certificate from a CA other than the trusted one', async () => {
    const error = await tlsFailure({ trustedCertificate: otherCaCertificate })
    expect(error.isTLSError()).toBe(true)
  })

  it('accepts any certificate only when asked to skip verification', async () => {
    const self = await withClient({ skipTLSVerify: true }, (client) => client.users.get('self'))
    expect(self.name).toBe('admin')
  })

  it('needs no TLS options for plain http', async () => {
    const client = new InfraClient({ server: infra.url, accessKey: infra.adminKey, skipTLSVerify: true })
    expect((await client.users.get('self')).name).toBe('admin')
    await client.close()
  })
})
