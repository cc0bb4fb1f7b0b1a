import { KubeConfig } from '@kubernetes/client-node'
import { every } from '@infra/scheduling'
import { Pool } from 'undici'
import { createHash, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'

const NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace'
const CREDENTIAL_REFRESH_MS = 60_000

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
  pool: Pool
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
    private readonly config: KubeConfig,
    readonly server: URL,
    /** PEM of the CA the API server's certificate is checked against ('' when none is configured). */
    readonly caPem: string,
    readonly inCluster: boolean,
    /** The namespace the connector runs in (in-cluster), or the kubeconfig context's. */
    readonly namespace: string | undefined,
    credentials: Credentials,
  ) {
    this.credentials = credentials
  }

  static async load(options: { kubeconfig?: string; context?: string } = {}): Promise<KubeConnection> {
    const config = new KubeConfig()
    let inCluster = false
    if (options.kubeconfig) {
      config.loadFromFile(options.kubeconfig)
    } else if (process.env.KUBERNETES_SERVICE_HOST) {
      config.loadFromCluster()
      inCluster = true
    } else {
      throw new Error('not running in a cluster: give --kubeconfig (or KUBECONFIG)')
    }
    if (options.context) config.setCurrentContext(options.context)
    const cluster = config.getCurrentCluster()
    if (!cluster) throw new Error('the kubeconfig has no current cluster')
    if (cluster.server.startsWith('http://')) {
      // Plain HTTP (e.g. `kubectl proxy`): the client library refuses it unless TLS checks are "skipped",
      // which for a connection without TLS changes nothing.
      config.clusters = config.clusters.map((entry) =>
        entry.name === cluster.name ? { ...entry, skipTLSVerify: true } : entry,
      )
    }
    const server = new URL(cluster.server)
    let caPem = ''
    if (cluster.caData) caPem = Buffer.from(cluster.caData, 'base64').toString('utf8')
    else if (cluster.caFile) caPem = readFileSync(cluster.caFile, 'utf8')
    let namespace: string | undefined
    if (inCluster) {
      try {
        namespace = readFileSync(NAMESPACE_FILE, 'utf8').trim()
      } catch {
        namespace = undefined
      }
    } else {
      const context = config.getContextObject(config.getCurrentContext())
      namespace = context?.namespace
    }
    const credentials = await loadCredentials(config, server)
    const connection = new KubeConnection(config, server, caPem, inCluster, namespace, credentials)
    connection.stopRefresh = every(
      CREDENTIAL_REFRESH_MS,
      () => void connection.refresh().catch(() => undefined),
    )
    return connection
  }

  /** Re-reads credentials (e.g. a rotated service-account token file). */
  async refresh(): Promise<void> {
    const next = await loadCredentials(this.config, this.server)
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
  get pool(): Pool {
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

async function loadCredentials(config: KubeConfig, server: URL): Promise<Credentials> {
  const options: https.RequestOptions = {}
  await config.applyToHTTPSOptions(options)
  const headers = (options.headers ?? {}) as Record<string, string | undefined>
  let authorization = headers.Authorization ?? headers.authorization
  if (!authorization && options.auth) {
    authorization = `Basic ${Buffer.from(options.auth).toString('base64')}`
  }
  const agentOptions: https.AgentOptions & { noDelay?: boolean } = {
    keepAlive: true,
    noDelay: true,
    maxSockets: 256,
    maxFreeSockets: 64,
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
    ...(options.cert !== undefined ? { cert: options.cert } : {}),
    ...(options.key !== undefined ? { key: options.key } : {}),
    ...(options.pfx !== undefined ? { pfx: options.pfx } : {}),
    ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
    ...(options.rejectUnauthorized !== undefined ? { rejectUnauthorized: options.rejectUnauthorized } : {}),
    ...(options.servername !== undefined ? { servername: options.servername } : {}),
  }
  const pool = new Pool(server.origin, {
    connections: 256,
    keepAliveTimeout: 60_000,
    // Watches and long logs stream for as long as the client wants; the client's connection bounds them.
    headersTimeout: 0,
    bodyTimeout: 0,
    connect: {
      ...(options.ca !== undefined ? { ca: options.ca as string | Buffer } : {}),
      ...(options.cert !== undefined ? { cert: options.cert as string | Buffer } : {}),
      ...(options.key !== undefined ? { key: options.key as string | Buffer } : {}),
      ...(options.pfx !== undefined ? { pfx: options.pfx as string | Buffer } : {}),
      ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
      ...(options.rejectUnauthorized !== undefined ? { rejectUnauthorized: options.rejectUnauthorized } : {}),
      ...(options.servername !== undefined ? { servername: options.servername } : {}),
      noDelay: true,
    },
  })
  const agent =
    server.protocol === 'https:'
      ? new https.Agent(agentOptions)
      : new http.Agent({ keepAlive: true, maxSockets: 256, noDelay: true })
  return { agent, pool, ...(authorization ? { authorization } : {}) }
}
