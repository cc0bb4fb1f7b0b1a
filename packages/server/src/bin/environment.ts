/**
 * The environment variables infra-server reads for its options, and nothing else named INFRA_SERVER_*: in a Pod
 * whose namespace has a Service named infra-server, Kubernetes sets INFRA_SERVER_SERVICE_HOST,
 * INFRA_SERVER_PORT=tcp://…, INFRA_SERVER_PORT_80_TCP and more, which are not settings. A flag given wins.
 */
const OPTION_VARIABLES = {
  port: 'INFRA_SERVER_PORT',
  'tls-cert': 'INFRA_SERVER_TLS_CERT',
  'tls-key': 'INFRA_SERVER_TLS_KEY',
  'tls-hostname': 'INFRA_SERVER_TLS_HOSTNAMES',
  'insecure-http': 'INFRA_SERVER_INSECURE_HTTP',
  'database-url': 'DATABASE_URL',
  'data-dir': 'INFRA_SERVER_DATA_DIR',
  'admin-access-key': 'INFRA_ADMIN_ACCESS_KEY',
  'root-key-file': 'INFRA_SERVER_ROOT_KEY_FILE',
  'config-file': 'INFRA_SERVER_CONFIG_FILE',
  'rate-limit': 'INFRA_SERVER_RATE_LIMIT',
  'max-long-polls-per-key': 'INFRA_SERVER_MAX_LONG_POLLS_PER_KEY',
  'long-poll-timeout': 'INFRA_SERVER_LONG_POLL_TIMEOUT',
  'provider-check-interval': 'INFRA_SERVER_PROVIDER_CHECK_INTERVAL',
  'audit-retention': 'INFRA_SERVER_AUDIT_RETENTION',
  'log-level': 'INFRA_SERVER_LOG_LEVEL',
  'access-log': 'INFRA_SERVER_ACCESS_LOG',
  workers: 'INFRA_SERVER_WORKERS',
} as const

/** Read directly rather than as an option, so that the key never shows in the process's arguments. */
export const ROOT_KEY_VARIABLE = 'INFRA_ROOT_KEY'

/** What Kubernetes puts in INFRA_SERVER_PORT for a Service named infra-server, e.g. tcp://10.0.0.5:80. */
const SERVICE_LINK = /^(tcp|udp|sctp):\/\//

/**
 * The options the environment sets, as yargs would parse the flags; an empty variable counts as unset, and
 * INFRA_SERVER_INSECURE_HTTP=false as not given (so that it does not conflict with --tls-cert).
 */
export function optionsFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string | string[] | true> {
  const options: Record<string, string | string[] | true> = {}
  for (const [option, variable] of Object.entries(OPTION_VARIABLES)) {
    const value = env[variable]
    if (!value) continue
    if (option === 'port') {
      if (SERVICE_LINK.test(value)) continue
      if (!/^\d{1,5}$/.test(value)) throw new Error(`${variable} must be a port number, not "${value}"`)
    }
    if (option === 'insecure-http') {
      if (value !== 'true' && value !== 'false') {
        throw new Error(`${variable} must be true or false, not "${value}"`)
      }
      if (value === 'true') options[option] = true
      continue
    }
    options[option] =
      option === 'tls-hostname'
        ? value
            .split(',')
            .map((name) => name.trim())
            .filter(Boolean)
        : value
  }
  return options
}

/** For --help: each variable and the option it sets. */
export function environmentHelp(): string {
  const lines = Object.entries(OPTION_VARIABLES).map(
    ([option, variable]) => `  ${variable.padEnd(38)}--${option}`,
  )
  return [
    'Environment variables (a flag given wins; INFRA_SERVER_PORT is ignored when it holds a Kubernetes service link such as tcp://10.0.0.5:80; INFRA_SERVER_TLS_HOSTNAMES is comma-separated):',
    ...lines,
    `  ${ROOT_KEY_VARIABLE.padEnd(38)}the root key itself`,
  ].join('\n')
}
