import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { DestinationName, parseDuration } from '@infra/api-types'

export const DEFAULT_ROLES = ['cluster-admin', 'admin', 'edit', 'view'] as const
export const INCLUDE_ROLE_LABEL = 'app.infrahq.com/include-role'
/**
 * What the connector does with its audit events: send them to the server and keep serving while it cannot
 * (`best-effort`), refuse requests while it cannot (`fail-closed`), or only log them (`off`).
 */
export const AUDIT_MODES = ['best-effort', 'fail-closed', 'off'] as const
export type AuditMode = (typeof AUDIT_MODES)[number]
const DEFAULT_AUDIT_BUFFER = 10_000

export interface ConnectorConfig {
  /** Infra server URL (or host[:port]). */
  server: string
  accessKey: string
  /** Destination name in Infra. */
  name: string
  /** host:port users reach the proxy at (registered as the destination's connection URL). */
  endpoint: string
  /** Address the proxy listens on: `host:port` or `:port`. */
  listen: string
  /** Plain HTTP health endpoints (`/healthz`, `/readyz`); empty to disable. */
  healthListen: string
  /** Kubeconfig to use when running outside a cluster; in-cluster service-account config otherwise. */
  kubeconfig?: string
  /** A kubeconfig context other than the current one. */
  context?: string
  /** The proxy's CA; generated and persisted when not given. */
  caCert?: string
  caKey?: string
  /** Where a generated CA is kept: a Secret (default in a cluster) or a directory (default outside). */
  caStore?: 'secret' | 'directory'
  /** Where a generated CA is kept outside a cluster. */
  stateDir: string
  /** The Secret holding a generated CA when running in a cluster. */
  caSecret: string
  /** Namespace of the connector (in-cluster), for its CA Secret. */
  namespace?: string
  /** Extra names or IPs for the proxy's serving certificate. */
  tlsSans: string[]
  /** ClusterRoles eligible for grants besides those labelled `app.infrahq.com/include-role=true`. */
  roles: string[]
  /** A ClusterRole that owns the bindings the connector makes, so that deleting it (uninstalling) removes them. */
  ownerClusterRole?: string
  /** PEM to trust for the Infra server (besides the system roots). */
  serverCa?: string
  skipTLSVerify: boolean
  /** Full reconcile interval. */
  resyncMs: number
  /** Heartbeat interval (re-registers the destination, which updates lastSeen). */
  heartbeatMs: number
  /** How often the members of groups holding grants are read again. */
  groupRefreshMs: number
  audit: AuditMode
  /** Most audit events held while the server cannot take them. */
  auditBuffer: number
  logLevel: string
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

export const HELP = `infra-connector: registers a Kubernetes cluster with Infra, keeps its RBAC equal to
the grants, and proxies kubectl with Infra tokens.

Usage: infra-connector [flags]

Flags (each also read from the environment variable shown):
  --server URL              Infra server (INFRA_SERVER)
  --access-key KEY          connector access key (INFRA_ACCESS_KEY)
  --access-key-file PATH    file holding the access key (INFRA_ACCESS_KEY_FILE)
  --name NAME               destination name (INFRA_CONNECTOR_NAME)
  --endpoint HOST:PORT      where users reach this connector (INFRA_CONNECTOR_ENDPOINT)
  --listen ADDR             proxy listen address, default :443 (INFRA_CONNECTOR_LISTEN)
  --health-listen ADDR      plain HTTP /healthz and /readyz, default :8081, "" disables
                            (INFRA_CONNECTOR_HEALTH_LISTEN)
  --kubeconfig PATH         kubeconfig when running outside a cluster (KUBECONFIG);
                            the in-cluster service account is used otherwise
  --context NAME            kubeconfig context (default: the current one)
  --ca-cert PATH            CA certificate for the proxy (INFRA_CONNECTOR_CA_CERT)
  --ca-key PATH             its private key (INFRA_CONNECTOR_CA_KEY)
                            without both, a CA is generated and kept in the Secret
                            --ca-secret (in a cluster) or in --state-dir (outside)
  --ca-secret NAME          default infra-connector-ca (INFRA_CONNECTOR_CA_SECRET)
  --ca-store secret|directory
                            where a generated CA is kept (default: secret in a
                            cluster, directory outside)
  --namespace NAME          the connector's namespace (POD_NAMESPACE; in-cluster default)
  --state-dir PATH          default ~/.infra-connector (INFRA_CONNECTOR_STATE_DIR)
  --tls-san NAME            extra name or IP for the proxy certificate (repeatable)
  --role NAME               extra ClusterRole eligible for grants (repeatable,
                            INFRA_CONNECTOR_ROLES comma-separated); always eligible:
                            ${DEFAULT_ROLES.join(', ')} and ClusterRoles labelled
                            ${INCLUDE_ROLE_LABEL}=true, never system:*
  --owner-cluster-role NAME ClusterRole set as the owner of the bindings the connector makes,
                            so that deleting it removes them (INFRA_CONNECTOR_OWNER_CLUSTER_ROLE)
  --server-ca PATH          CA to trust for the Infra server (INFRA_SERVER_CA)
  --skip-tls-verify         do not verify the Infra server's certificate (INFRA_SKIP_TLS_VERIFY)
  --resync DURATION         full reconcile interval, default 5m
  --heartbeat DURATION      heartbeat interval, default 30s
  --group-refresh DURATION  how often members of granted groups are re-read besides on
                            every membership change (in case one was missed), default 15s
                            (a DURATION is a number and a unit, h, m, s or ms: 30s, 1h30m)
  --audit MODE              best-effort (default): audit events go to the server, held
                            while it cannot take them (up to --audit-buffer, then dropped
                            and counted); fail-closed: requests are refused while events
                            cannot be delivered; off: only the log line (INFRA_CONNECTOR_AUDIT)
  --audit-buffer EVENTS     events held while the server is unreachable, default
                            ${DEFAULT_AUDIT_BUFFER} (INFRA_CONNECTOR_AUDIT_BUFFER)
  --log-level LEVEL         debug, info, warn, error (INFRA_LOG_LEVEL), default info
  --help                    show this help
`

/** An interval flag: a Go-style duration (`500ms`, `30s`, `5m`, `1h30m`), in milliseconds, more than zero. */
function parseInterval(flag: string, text: string): number {
  let ms: number
  try {
    ms = parseDuration(text)
  } catch (error) {
    throw new ConfigError(`--${flag}: ${(error as Error).message}`)
  }
  if (ms <= 0) throw new ConfigError(`--${flag}: duration "${text}" must be positive`)
  return ms
}

/** Splits `host:port`, `:port`, `[v6]:port` into a host (maybe '') and a port. */
export function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text)
  const port = Number(match?.[3])
  if (!match || port > 65535)
    throw new ConfigError(`invalid listen address "${text}" (use host:port or :port)`)
  return { host: match[1] ?? match[2] ?? '', port }
}

/** A host as it is written in a URL: IPv6 addresses in brackets. */
export function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}

export type ParseResult = { help: true } | { help: false; config: ConnectorConfig }

export function parseConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): ParseResult {
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        server: { type: 'string' },
        'access-key': { type: 'string' },
        'access-key-file': { type: 'string' },
        name: { type: 'string' },
        endpoint: { type: 'string' },
        listen: { type: 'string' },
        'health-listen': { type: 'string' },
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        'ca-cert': { type: 'string' },
        'ca-key': { type: 'string' },
        'ca-secret': { type: 'string' },
        'ca-store': { type: 'string' },
        namespace: { type: 'string' },
        'state-dir': { type: 'string' },
        'tls-san': { type: 'string', multiple: true },
        role: { type: 'string', multiple: true },
        'owner-cluster-role': { type: 'string' },
        'server-ca': { type: 'string' },
        'skip-tls-verify': { type: 'boolean' },
        resync: { type: 'string' },
        heartbeat: { type: 'string' },
        'group-refresh': { type: 'string' },
        audit: { type: 'string' },
        'audit-buffer': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (error) {
    throw new ConfigError((error as Error).message)
  }
  const flags = parsed.values
  if (flags.help) return { help: true }

  const pick = (flag: string | undefined, ...names: string[]): string | undefined => {
    if (flag !== undefined) return flag
    for (const name of names) {
      const value = env[name]
      if (value !== undefined && value !== '') return value
    }
    return undefined
  }
  const require = (value: string | undefined, what: string): string => {
    if (value === undefined || value.trim() === '') throw new ConfigError(`${what} is required (see --help)`)
    return value.trim()
  }

  const server = require(pick(flags.server, 'INFRA_SERVER'), '--server (or INFRA_SERVER)')
  let accessKey = pick(flags['access-key'], 'INFRA_ACCESS_KEY')
  const keyFile = pick(flags['access-key-file'], 'INFRA_ACCESS_KEY_FILE')
  if (accessKey === undefined && keyFile !== undefined) {
    try {
      accessKey = readFileSync(keyFile, 'utf8').trim()
    } catch (error) {
      throw new ConfigError(`cannot read the access key file ${keyFile}: ${(error as Error).message}`)
    }
  }
  accessKey = require(accessKey, '--access-key, --access-key-file (or INFRA_ACCESS_KEY)')

  const name = require(pick(flags.name, 'INFRA_CONNECTOR_NAME'), '--name (or INFRA_CONNECTOR_NAME)')
  const nameCheck = DestinationName.safeParse(name)
  if (!nameCheck.success || name === 'infra') {
    throw new ConfigError(
      `--name "${name}" is not a valid destination name: letters, digits, "-" and "_" only, not "infra"`,
    )
  }
  const listen = pick(flags.listen, 'INFRA_CONNECTOR_LISTEN') ?? ':443'
  parseListen(listen)
  const healthListen = flags['health-listen'] ?? env.INFRA_CONNECTOR_HEALTH_LISTEN ?? ':8081'
  if (healthListen !== '') parseListen(healthListen)

  const endpoint = require(pick(
    flags.endpoint,
    'INFRA_CONNECTOR_ENDPOINT',
  ), '--endpoint (or INFRA_CONNECTOR_ENDPOINT)')
  if (/[\s/]/.test(endpoint) && !/^https:\/\/[^\s/]+\/?$/.test(endpoint)) {
    throw new ConfigError(`--endpoint "${endpoint}" must be host:port (or https://host:port)`)
  }

  const caCert = pick(flags['ca-cert'], 'INFRA_CONNECTOR_CA_CERT')
  const caKey = pick(flags['ca-key'], 'INFRA_CONNECTOR_CA_KEY')
  if ((caCert === undefined) !== (caKey === undefined)) {
    throw new ConfigError('--ca-cert and --ca-key go together')
  }
  const caStore = flags['ca-store']
  if (caStore !== undefined && caStore !== 'secret' && caStore !== 'directory') {
    throw new ConfigError(`--ca-store ${caStore}: use secret or directory`)
  }
  const serverCaFile = pick(flags['server-ca'], 'INFRA_SERVER_CA')
  let serverCa: string | undefined
  if (serverCaFile !== undefined) {
    try {
      serverCa = readFileSync(serverCaFile, 'utf8')
    } catch (error) {
      throw new ConfigError(`cannot read --server-ca ${serverCaFile}: ${(error as Error).message}`)
    }
  }
  const envRoles = (env.INFRA_CONNECTOR_ROLES ?? '')
    .split(',')
    .map((role) => role.trim())
    .filter(Boolean)
  const roles = [...new Set([...envRoles, ...(flags.role ?? [])])]
  const systemRole = roles.find((role) => role.startsWith('system:'))
  if (systemRole) throw new ConfigError(`--role ${systemRole}: system:* roles are never eligible for grants`)

  const audit = pick(flags.audit, 'INFRA_CONNECTOR_AUDIT') ?? 'best-effort'
  if (!(AUDIT_MODES as readonly string[]).includes(audit)) {
    throw new ConfigError(`--audit ${audit}: use ${AUDIT_MODES.join(', ')}`)
  }
  const auditBufferText = pick(flags['audit-buffer'], 'INFRA_CONNECTOR_AUDIT_BUFFER')
  const auditBuffer = Number(auditBufferText ?? DEFAULT_AUDIT_BUFFER)
  if (!Number.isSafeInteger(auditBuffer) || auditBuffer < 1) {
    throw new ConfigError(`--audit-buffer ${auditBufferText}: a number of events, at least 1`)
  }

  const kubeconfig = flags.kubeconfig ?? (env.KUBECONFIG ? env.KUBECONFIG : undefined)
  const logLevel = pick(flags['log-level'], 'INFRA_LOG_LEVEL') ?? 'info'
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel)) {
    throw new ConfigError(`--log-level ${logLevel}: use debug, info, warn or error`)
  }
  const namespace = pick(flags.namespace, 'POD_NAMESPACE')
  const ownerClusterRole = pick(flags['owner-cluster-role'], 'INFRA_CONNECTOR_OWNER_CLUSTER_ROLE')
  const skipEnv = env.INFRA_SKIP_TLS_VERIFY
  return {
    help: false,
    config: {
      server,
      accessKey,
      name,
      endpoint: endpoint.replace(/^https:\/\//, '').replace(/\/$/, ''),
      listen,
      healthListen,
      ...(kubeconfig !== undefined ? { kubeconfig } : {}),
      ...(flags.context !== undefined ? { context: flags.context } : {}),
      ...(caCert !== undefined && caKey !== undefined ? { caCert, caKey } : {}),
      ...(caStore !== undefined ? { caStore } : {}),
      caSecret: pick(flags['ca-secret'], 'INFRA_CONNECTOR_CA_SECRET') ?? 'infra-connector-ca',
      ...(namespace !== undefined ? { namespace } : {}),
      stateDir: pick(flags['state-dir'], 'INFRA_CONNECTOR_STATE_DIR') ?? join(homedir(), '.infra-connector'),
      tlsSans: flags['tls-san'] ?? [],
      roles,
      ...(ownerClusterRole !== undefined ? { ownerClusterRole } : {}),
      ...(serverCa !== undefined ? { serverCa } : {}),
      skipTLSVerify: flags['skip-tls-verify'] ?? (skipEnv === 'true' || skipEnv === '1'),
      resyncMs: parseInterval('resync', flags.resync ?? '5m'),
      heartbeatMs: parseInterval('heartbeat', flags.heartbeat ?? '30s'),
      groupRefreshMs: parseInterval('group-refresh', flags['group-refresh'] ?? '15s'),
      audit: audit as AuditMode,
      auditBuffer,
      logLevel,
    },
  }
}
