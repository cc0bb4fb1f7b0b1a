// Where the API server is and how the connector authenticates to it: the in-cluster service account, or a
// kubeconfig file. Read here rather than by @kubernetes/client-node's KubeConfig because importing that library
// loads every generated API client with it, about 70 MB of resident memory the connector would carry for its
// whole life. The library is still used, loaded only then, for the credentials only it can produce (exec
// plugins and auth providers such as OIDC, GCP or Azure).
import { readFileSync } from 'node:fs'
import type { RequestOptions } from 'node:https'
import { isIPv6 } from 'node:net'
import { dirname, resolve } from 'node:path'
import { parse } from 'yaml'
import { z } from 'zod'

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'

/** TLS settings and the Authorization header of the connector's own requests to the API server. */
export interface KubeCredentials {
  ca?: string | Buffer
  cert?: string | Buffer
  key?: string | Buffer
  pfx?: string | Buffer
  passphrase?: string
  rejectUnauthorized?: boolean
  servername?: string
  authorization?: string
}

export interface KubeTarget {
  server: URL
  /** PEM of the CA the API server's certificate is checked against ('' when none is configured). */
  caPem: string
  inCluster: boolean
  /** The namespace the connector runs in (in-cluster), or the kubeconfig context's. */
  namespace: string | undefined
  /** Reads the credentials again, e.g. a rotated service-account token file. */
  credentials(): Promise<KubeCredentials>
}

const kubeconfigSchema = z.object({
  'current-context': z.string().optional(),
  clusters: z
    .array(
      z.object({
        name: z.string(),
        cluster: z.object({
          server: z.string(),
          'certificate-authority': z.string().optional(),
          'certificate-authority-data': z.string().optional(),
          'insecure-skip-tls-verify': z.boolean().optional(),
          'tls-server-name': z.string().optional(),
        }),
      }),
    )
    .default([]),
  users: z
    .array(
      z.object({
        name: z.string(),
        user: z
          .object({
            token: z.string().optional(),
            'token-file': z.string().optional(),
            'client-certificate': z.string().optional(),
            'client-certificate-data': z.string().optional(),
            'client-key': z.string().optional(),
            'client-key-data': z.string().optional(),
            username: z.string().optional(),
            password: z.string().optional(),
            exec: z.unknown().optional(),
            'auth-provider': z.unknown().optional(),
          })
          .nullish(),
      }),
    )
    .default([]),
  contexts: z
    .array(
      z.object({
        name: z.string(),
        context: z.object({
          cluster: z.string(),
          user: z.string().optional(),
          namespace: z.string().optional(),
        }),
      }),
    )
    .default([]),
})

const fromBase64 = (data: string) => Buffer.from(data, 'base64')

export function loadKubeTarget(options: { kubeconfig?: string; context?: string }): KubeTarget {
  if (options.kubeconfig) return fromKubeconfig(options.kubeconfig, options.context)
  if (process.env.KUBERNETES_SERVICE_HOST) return inCluster(process.env.KUBERNETES_SERVICE_HOST)
  throw new Error('not running in a cluster: give --kubeconfig (or KUBECONFIG)')
}

function inCluster(host: string): KubeTarget {
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443'
  // As client-go and @kubernetes/client-node decide it.
  const scheme = ['80', '8080', '8001'].includes(port) ? 'http' : 'https'
  const caPem = readFileSync(`${SERVICE_ACCOUNT_DIR}/ca.crt`, 'utf8')
  let namespace: string | undefined
  try {
    namespace = readFileSync(`${SERVICE_ACCOUNT_DIR}/namespace`, 'utf8').trim()
  } catch {
    namespace = undefined
  }
  return {
    server: new URL(`${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`),
    caPem,
    inCluster: true,
    namespace,
    credentials: () =>
      Promise.resolve({
        ca: caPem,
        authorization: `Bearer ${readFileSync(`${SERVICE_ACCOUNT_DIR}/token`, 'utf8').trim()}`,
      }),
  }
}

function fromKubeconfig(file: string, contextName: string | undefined): KubeTarget {
  const parsed = kubeconfigSchema.safeParse(parse(readFileSync(file, 'utf8')) ?? {})
  if (!parsed.success) throw new Error(`${file}: not a usable kubeconfig: ${z.prettifyError(parsed.error)}`)
  const config = parsed.data
  const current = contextName ?? config['current-context']
  const context = config.contexts.find((entry) => entry.name === current)?.context
  const cluster = config.clusters.find((entry) => entry.name === context?.cluster)?.cluster
  if (!context || !cluster) throw new Error('the kubeconfig has no current cluster')
  const user = config.users.find((entry) => entry.name === context.user)?.user ?? {}
  // Relative paths in a kubeconfig are relative to the file, as kubectl reads them.
  const read = (path: string) => readFileSync(resolve(dirname(file), path))
  const fileOrData = (path: string | undefined, data: string | undefined) =>
    data !== undefined ? fromBase64(data) : path !== undefined ? read(path) : undefined
  const caPem = fileOrData(cluster['certificate-authority'], cluster['certificate-authority-data'])
  const tls = (): KubeCredentials => {
    const ca = fileOrData(cluster['certificate-authority'], cluster['certificate-authority-data'])
    const cert = fileOrData(user['client-certificate'], user['client-certificate-data'])
    const key = fileOrData(user['client-key'], user['client-key-data'])
    return {
      ...(ca ? { ca } : {}),
      ...(cert ? { cert } : {}),
      ...(key ? { key } : {}),
      ...(cluster['insecure-skip-tls-verify'] ? { rejectUnauthorized: false } : {}),
      ...(cluster['tls-server-name'] ? { servername: cluster['tls-server-name'] } : {}),
    }
  }
  const authorization = (): string | undefined => {
    const token = user.token ?? (user['token-file'] ? read(user['token-file']).toString('utf8').trim() : '')
    if (token) return `Bearer ${token}`
    if (user.username !== undefined)
      return `Basic ${Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64')}`
    return undefined
  }
  const pluginCredentials = user.exec !== undefined || user['auth-provider'] !== undefined
  return {
    server: new URL(cluster.server),
    caPem: caPem?.toString('utf8') ?? '',
    inCluster: false,
    namespace: context.namespace,
    credentials: pluginCredentials
      ? () => credentialsFromPlugin(file, current)
      : () => {
          const header = authorization()
          return Promise.resolve({ ...tls(), ...(header ? { authorization: header } : {}) })
        },
  }
}

/** Credentials an exec plugin or an auth provider gives, through @kubernetes/client-node. */
async function credentialsFromPlugin(file: string, context: string | undefined): Promise<KubeCredentials> {
  const { KubeConfig } = await import('@kubernetes/client-node')
  const config = new KubeConfig()
  config.loadFromFile(file)
  if (context) config.setCurrentContext(context)
  // The library refuses plain HTTP (e.g. `kubectl proxy`) unless TLS checks are "skipped", which for a
  // connection without TLS changes nothing.
  config.clusters = config.clusters.map((entry) =>
    entry.server.startsWith('http://') ? { ...entry, skipTLSVerify: true } : entry,
  )
  const options: RequestOptions = {}
  await config.applyToHTTPSOptions(options)
  const headers = (options.headers ?? {}) as Record<string, string | undefined>
  const authorization = headers.Authorization ?? headers.authorization
  const pick = <K extends keyof KubeCredentials>(key: K, value: unknown) =>
    value === undefined ? {} : { [key]: value as KubeCredentials[K] }
  return {
    ...pick('ca', options.ca),
    ...pick('cert', options.cert),
    ...pick('key', options.key),
    ...pick('pfx', options.pfx),
    ...pick('passphrase', options.passphrase),
    ...pick('rejectUnauthorized', options.rejectUnauthorized),
    ...pick('servername', options.servername),
    ...(authorization ? { authorization } : {}),
  }
}
