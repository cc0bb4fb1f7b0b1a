// A fake Kubernetes API server that records what reaches it, and a proxy in front of it with a local key set:
// for attack and streaming tests that need to see exactly which headers and bytes arrive upstream.
import { tokenAudience } from '@infra/api-types'
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import tls from 'node:tls'
import { pino, type Logger } from 'pino'
import { AccessList } from '../src/auth/access.js'
import { TokenVerifier } from '../src/auth/tokens.js'
import { KubeConnection } from '../src/kube/connection.js'
import { KubeProxy, type ProxyOptions } from '../src/proxy/proxy.js'
import { generateAuthority, issueServingCertificate } from '../src/tls/authority.js'

export const UPSTREAM_TOKEN = 'connector-service-account-token'

export interface Recorded {
  method: string
  url: string
  rawHeaders: string[]
  body: Buffer
}

export interface Upstream {
  url: string
  requests: Recorded[]
  server: http.Server
  /** Replaces the handler for ordinary requests. */
  handle(
    handler: ((request: IncomingMessage, response: ServerResponse, body: Buffer) => void) | undefined,
  ): void
  /** Replaces the handler for upgrade requests. */
  handleUpgrade(handler: ((request: IncomingMessage, socket: Duplex, head: Buffer) => void) | undefined): void
  close(): Promise<void>
}

export async function startUpstream(): Promise<Upstream> {
  const requests: Recorded[] = []
  let handler: ((request: IncomingMessage, response: ServerResponse, body: Buffer) => void) | undefined
  let upgradeHandler: ((request: IncomingMessage, socket: Duplex, head: Buffer) => void) | undefined
  const server = http.createServer((request, response) => {
    const record: Recorded = {
      method: request.method ?? '',
      url: request.url ?? '',
      rawHeaders: request.rawHeaders,
      body: Buffer.alloc(0),
    }
    requests.push(record)
    if (handler) {
      handler(request, response, record.body)
      return
    }
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      record.body = Buffer.concat(chunks)
      const body = JSON.stringify({ kind: 'Status', status: 'Success', path: request.url })
      response.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      })
      response.end(body)
    })
  })
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    requests.push({
      method: request.method ?? '',
      url: request.url ?? '',
      rawHeaders: request.rawHeaders,
      body: Buffer.alloc(0),
    })
    if (upgradeHandler) return upgradeHandler(request, socket, head)
    // Default: switch to a raw echo protocol, like SPDY/3.1 or a stream tunnel.
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${request.headers.upgrade}\r\n\r\n`,
    )
    if (head.length) socket.write(head)
    socket.pipe(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    server,
    handle: (next) => (handler = next),
    handleUpgrade: (next) => (upgradeHandler = next),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export interface Keys {
  kid: string
  privateKey: CryptoKey
  jwk: JWK
}

export async function newKeys(kid = randomBytes(8).toString('hex')): Promise<Keys> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' } }
}

export interface TokenOptions {
  name?: unknown
  groups?: unknown
  issuer?: string
  audience?: unknown
  expiresIn?: number
  notBefore?: number
  issuedAt?: number
  kid?: string
  omit?: string[]
}

/** The destination the proxy of the fixture serves. */
export const FIXTURE_DESTINATION = 'fixture'

export async function signToken(keys: Keys, options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const name = options.name ?? 'alice'
  const claims: Record<string, unknown> = {
    name,
    groups: options.groups ?? [],
    aud: 'audience' in options ? options.audience : tokenAudience(FIXTURE_DESTINATION),
  }
  for (const field of options.omit ?? []) delete claims[field]
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: options.kid ?? keys.kid, typ: 'JWT' })
    .setIssuer(options.issuer ?? 'infra')
    .setSubject(typeof name === 'string' ? name : JSON.stringify(name))
    .setIssuedAt(options.issuedAt ?? now)
    .setExpirationTime(now + (options.expiresIn ?? 300))
  if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore)
  return jwt.sign(keys.privateKey)
}

export interface ProxyFixture {
  upstream: Upstream
  proxy: KubeProxy
  port: number
  ca: string
  keys: Keys
  /** The key set the verifier fetches; tests may change it. */
  jwks: { keys: JWK[] }
  jwksFetches: () => number
  setAccess(access: AccessList | undefined): void
  logs: string[]
  kube: KubeConnection
  close(): Promise<void>
}

/** A proxy (the real KubeProxy) in front of a recording upstream, trusting one local signing key. */
export async function startProxyFixture(
  access = new AccessList(new Set(['alice', 'bob', 'ünïcödé']), new Set(['devs'])),
  audit?: ProxyOptions['audit'],
): Promise<ProxyFixture> {
  const upstream = await startUpstream()
  const dir = mkdtempSync(join(tmpdir(), 'infra-proxy-fixture-'))
  const kubeconfig = join(dir, 'kubeconfig')
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: ${upstream.url}\n` +
      `users:\n- name: connector\n  user:\n    token: ${UPSTREAM_TOKEN}\n` +
      `contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: connector\ncurrent-context: fake\n`,
  )
  const kube = await KubeConnection.load({ kubeconfig }).catch(async (error: unknown) => {
    await upstream.close()
    throw error
  })
  const keys = await newKeys()
  const jwks = { keys: [keys.jwk] }
  let fetches = 0
  const verifier = new TokenVerifier(
    {
      fetchKeys: () => {
        fetches++
        return Promise.resolve(structuredClone<{ keys: Array<Record<string, unknown>> }>(jwks))
      },
    },
    FIXTURE_DESTINATION,
    { refetchCooldownMs: 1_000 },
  )
  await verifier.refresh()
  const authority = await generateAuthority('test')
  const serving = await issueServingCertificate(authority, ['127.0.0.1', 'localhost'])
  let current: AccessList | undefined = access
  const logs: string[] = []
  const logger: Logger = pino(
    { level: 'info' },
    {
      write: (line: string) => {
        logs.push(line)
      },
    },
  )
  const proxy = new KubeProxy({
    kube,
    verifier,
    access: () => current,
    logger,
    certificate: serving,
    ...(audit ? { audit } : {}),
  })
  const address = await proxy.listen(0, '127.0.0.1')
  return {
    upstream,
    proxy,
    port: address.port,
    ca: authority.certificate,
    keys,
    jwks,
    jwksFetches: () => fetches,
    setAccess: (next) => {
      current = next
      proxy.enforceAccess()
    },
    logs,
    kube,
    close: async () => {
      await proxy.close(0)
      kube.close()
      await upstream.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export interface RawResponse {
  status: number
  head: string
  body: string
}

/** A raw TLS connection to the proxy, trusting its CA. */
export function connectTls(fixture: { port: number; ca: string }): tls.TLSSocket {
  return tls.connect({ host: '127.0.0.1', port: fixture.port, ca: fixture.ca, servername: 'localhost' })
}

/**
 * Sends raw bytes over TLS to the proxy and reads one answer (complete by Content-Length, or when the
 * connection closes).
 */
export function rawRequest(
  fixture: { port: number; ca: string },
  text: string | Buffer,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connectTls(fixture)
    const chunks: Buffer[] = []
    let settled = false
    const parse = (): RawResponse | undefined => {
      const all = Buffer.concat(chunks).toString('latin1')
      const split = all.indexOf('\r\n\r\n')
      if (split === -1) return undefined
      const head = all.slice(0, split)
      const body = all.slice(split + 4)
      const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1]
      if (length === undefined || body.length < Number(length)) return undefined
      return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body }
    }
    const finish = (response: RawResponse) => {
      if (settled) return
      settled = true
      socket.destroy()
      resolve(response)
    }
    socket.on('secureConnect', () => socket.write(text))
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      const response = parse()
      if (response) finish(response)
    })
    socket.on('error', (error: Error) => {
      if (!settled && chunks.length === 0) {
        settled = true
        reject(error)
      }
    })
    socket.on('close', () => {
      const all = Buffer.concat(chunks).toString('latin1')
      const split = all.indexOf('\r\n\r\n')
      const head = split === -1 ? all : all.slice(0, split)
      finish({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0),
        head,
        body: split === -1 ? '' : all.slice(split + 4),
      })
    })
    setTimeout(() => socket.destroy(), 5_000).unref()
  })
}

/** Header values of one name (any case) in a flat rawHeaders list. */
export function headerValues(rawHeaders: readonly string[], name: string): string[] {
  const values: string[] = []
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() === name.toLowerCase()) values.push(rawHeaders[i + 1] ?? '')
  }
  return values
}
