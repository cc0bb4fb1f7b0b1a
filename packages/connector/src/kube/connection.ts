import { every } from '@infra/scheduling'
import type { Pool as UndiciPool } from 'undici'
import { createHash, X509Certificate } from 'node:crypto'
import http from 'node:http'
import https from 'node:https'
import { createRequire } from 'node:module'
import { loadKubeTarget, type KubeCredentials, type KubeTarget } from './kubeconfig.js'

const CREDENTIAL_REFRESH_MS = 60_000

// undici's index loads all of undici (fetch, WebSocket, caches, mocks), about 10 MB more resident memory than
// the one class the proxy uses. Its tests (and the connector's) run this path.
const Pool = createRequire(import.meta.url)('undici/lib/dispatcher/pool.js') as typeof UndiciPool

export class KubeError extends Error {
  override readonly name = 'KubeError'
  constructor(
    readonly status: number,
    message: string,
    readonly reason?: string,
    readonly body?: unknown,
  ) {
    super(message)
  }
}

export interface KubeObject {
  apiVersion?: string
  kind?: string
  metadata: {
    name: string
    namespace?: string
    resourceVersion?: string
    labels?: Record<string, string>
    annotations?: Record<string, string>
    uid?: string
    [key: string]: unknown
  }
  [key: string]: unknown
}

export interface KubeList<T> {
  metadata: { resourceVersion?: string | undefined; continue?: string }
  items: T[]
}

export interface RequestOptions {
  body?: unknown
  signal?: AbortSignal
  contentType?: string
  timeoutMs?: number
}

interface Credentials {
  agent: http.Agent
  /** The same connection settings for undici, which the proxy uses for ordinary requests. */
  pool: UndiciPool
  authorization?: string
}

/**
 * The connection to the cluster's API server: its URL, CA and the connector's own credentials (from a
 * kubeconfig or the in-cluster service account, refreshed every minute so rotated service-account tokens
 * are picked up), with one keep-alive agent shared by the reconciler, the watches and the proxy.
 */
export class KubeConnection {
  private credentials: Credentials
  private stopRefresh: (() => void) | undefined

  private constructor(
    private readonly target: KubeTarget,
    credentials: Credentials,
  ) {
    this.credentials = credentials
  }

  static async load(options: { kubeconfig?: string; context?: string } = {}): Promise<KubeConnection> {
    const target = loadKubeTarget(options)
    const connection = new KubeConnection(target, connect(target.server, await target.credentials()))
    connection.stopRefresh = every(
      CREDENTIAL_REFRESH_MS,
      () => void connection.refresh().catch(() => undefined),
    )
    return connection
  }

  get server(): URL {
    return this.target.server
  }

  /** PEM of the CA the API server's certificate is checked against ('' when none is configured). */
  get caPem(): string {
    return this.target.caPem
  }

  get inCluster(): boolean {
    return this.target.inCluster
  }

  /** The namespace the connector runs in (in-cluster), or the kubeconfig context's. */
  get namespace(): string | undefined {
    return this.target.namespace
  }

  /** Re-reads credentials (e.g. a rotated service-account token file). */
  async refresh(): Promise<void> {
    const next = connect(this.server, await this.target.credentials())
    const previous = this.credentials
    this.credentials = next
    // Requests in flight keep their sockets; idle ones of the old agent are closed after a while.
    setTimeout(() => {
      previous.agent.destroy()
      void previous.pool.close().catch(() => undefined)
    }, 5 * 60_000).unref()
  }

  close(): void {
    this.stopRefresh?.()
    this.credentials.agent.destroy()
    void this.credentials.pool.destroy().catch(() => undefined)
  }

  /** A stable identifier of the cluster: derived from its CA certificate (or its URL when it has none). */
  clusterId(): string {
    let material: Buffer | string = this.server.origin
    if (this.caPem) {
      try {
        material = new X509Certificate(this.caPem).raw
      } catch {
        material = this.caPem.replace(/\s+/g, '')
      }
    }
    return createHash('sha256').update(material).digest('hex').slice(0, 32)
  }

  get agent(): http.Agent {
    return this.credentials.agent
  }

  /** An undici pool to the API server with the connector's TLS credentials (no Authorization added). */
  get pool(): UndiciPool {
    return this.credentials.pool
  }

  get authorization(): string | undefined {
    return this.credentials.authorization
  }

  get isHttps(): boolean {
    return this.server.protocol === 'https:'
  }

  /** The API server's path prefix joined with a request path (which starts with '/'). */
  path(path: string): string {
    const prefix = this.server.pathname.replace(/\/+$/, '')
    return prefix + path
  }

  /** Request options (without method) to reach `path` on the API server with the connector's credentials. */
  requestOptions(path: string, headers: http.OutgoingHttpHeaders = {}): http.RequestOptions {
    return {
      protocol: this.server.protocol,
      hostname: this.server.hostname.replace(/^\[|\]$/g, ''),
      port: this.server.port || (this.isHttps ? 443 : 80),
      path: this.path(path),
      agent: this.credentials.agent,
      headers: {
        ...headers,
        ...(this.credentials.authorization ? { authorization: this.credentials.authorization } : {}),
      },
    }
  }

  /** Starts a raw request to the API server. */
  rawRequest(method: string, path: string, headers: http.OutgoingHttpHeaders = {}): http.ClientRequest {
    const options = { ...this.requestOptions(path, headers), method }
    return this.isHttps ? https.request(options) : http.request(options)
  }

  /** A JSON request; non-2xx answers throw a KubeError carrying the Status message. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const body = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body))
    const response = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = this.rawRequest(method, path, {
        accept: 'application/json',
        ...(body
          ? { 'content-type': options.contentType ?? 'application/json', 'content-length': body.length }
          : {}),
      })
      const abort = () => request.destroy(new Error('aborted'))
      options.signal?.addEventListener('abort', abort, { once: true })
      const timer = setTimeout(
        () => request.destroy(new Error(`${method} ${path}: timed out`)),
        options.timeoutMs ?? 30_000,
      )
      request.on('error', (error) => {
        clearTimeout(timer)
        options.signal?.removeEventListener('abort', abort)
        reject(error)
      })
      request.on('response', (incoming) => {
        const chunks: Buffer[] = []
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
        incoming.on('error', reject)
        incoming.on('end', () => {
          clearTimeout(timer)
          options.signal?.removeEventListener('abort', abort)
          resolve({ status: incoming.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') })
        })
      })
      request.end(body)
    })
    let parsed: unknown
    try {
      parsed = response.text ? JSON.parse(response.text) : undefined
    } catch {
      parsed = response.text
    }
    if (response.status < 200 || response.status >= 300) {
      const status = parsed as { message?: string; reason?: string } | undefined
      throw new KubeError(
        response.status,
        `${method} ${path}: ${response.status} ${status?.message ?? String(response.text).slice(0, 200)}`,
        status?.reason,
        parsed,
      )
    }
    return parsed as T
  }

  /** Every item of a list, following `continue` tokens; returns the list's resourceVersion too. */
  async list<T>(path: string, query: Record<string, string> = {}): Promise<KubeList<T>> {
    const items: T[] = []
    let token: string | undefined
    let resourceVersion: string | undefined
    do {
      const params = new URLSearchParams({ ...query, limit: '500', ...(token ? { continue: token } : {}) })
      const page = await this.request<KubeList<T>>('GET', `${path}?${params}`)
      items.push(...page.items)
      token = page.metadata.continue || undefined
      resourceVersion = page.metadata.resourceVersion
    } while (token)
    return { metadata: { resourceVersion }, items }
  }
}

/** A keep-alive agent and an undici pool to the API server with these credentials. */
function connect(server: URL, options: KubeCredentials): Credentials {
  const { authorization, ...tls } = options
  const pool = new Pool(server.origin, {
    connections: 256,
    keepAliveTimeout: 60_000,
    // Watches and long logs stream for as long as the client wants; the client's connection bounds them.
    headersTimeout: 0,
    bodyTimeout: 0,
    connect: { ...tls, noDelay: true },
  })
  const agent =
    server.protocol === 'https:'
      ? new https.Agent({ keepAlive: true, noDelay: true, maxSockets: 256, maxFreeSockets: 64, ...tls })
      : new http.Agent({ keepAlive: true, maxSockets: 256, noDelay: true })
  return { agent, pool, ...(authorization ? { authorization } : {}) }
}
