#!/usr/bin/env node
import cluster from 'node:cluster'
import { homedir } from 'node:os'
import { join } from 'node:path'
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { parseDuration } from '@infra/api-types'
import { DEFAULT_SETTINGS } from '../context.js'
import { parseAccessLog, SLOW_REQUEST_MS } from '../http/access-log.js'
import { createLogger } from '../http/logger.js'
import { prepareForWorkers, startServer, type ServerOptions } from '../server.js'
import { SERVER_VERSION } from '../version.js'
import { defaultWorkers } from './cpu-limit.js'
import { environmentHelp, optionsFromEnvironment, ROOT_KEY_VARIABLE } from './environment.js'
import { startWorkers } from './workers.js'

/**
 * Database connections of each worker when there are several: a worker is one thread, and a handful of
 * connections keeps it busy; so 2 workers hold as many (plus a listener each) as one process does with its 10.
 */
const WORKER_POOL_SIZE = 5

let fromEnvironment
try {
  fromEnvironment = optionsFromEnvironment(process.env)
} catch (error) {
  process.stderr.write(`infra-server: ${(error as Error).message}\n`)
  process.exit(2)
}

const argv = await yargs(hideBin(process.argv))
  .scriptName('infra-server')
  .usage(
    '$0 [options]\n\nRuns the Infra server. Without a database URL it runs an embedded Postgres in the data directory.',
  )
  .config(fromEnvironment)
  .options({
    port: {
      type: 'number',
      default: 8443,
      describe: 'Port to listen on (HTTPS, or HTTP with --insecure-http)',
    },
    'tls-cert': {
      type: 'string',
      describe: 'PEM certificate (with its chain) to serve; reloaded when the file changes',
      implies: 'tls-key',
    },
    'tls-key': { type: 'string', describe: 'PEM private key of --tls-cert', implies: 'tls-cert' },
    'tls-hostname': {
      type: 'string',
      array: true,
      describe:
        'Without --tls-cert: a name (or IP) the generated self-signed certificate is for, besides localhost, ' +
        'the loopback addresses and the host name; repeatable',
      conflicts: 'tls-cert',
    },
    'insecure-http': {
      type: 'boolean',
      describe: 'Serve plain HTTP, e.g. behind a proxy that terminates TLS: keys cross the network in clear',
      conflicts: ['tls-cert', 'tls-key', 'tls-hostname'],
    },
    'database-url': { type: 'string', describe: 'Postgres connection URL' },
    'data-dir': {
      type: 'string',
      default: join(homedir(), '.infra', 'server'),
      describe: 'Where the embedded Postgres, the root key and the generated certificate (tls/) live',
    },
    'admin-access-key': {
      type: 'string',
      describe: 'Make sure user "admin" exists, is an Infra admin, and authenticates with this key',
    },
    'root-key-file': {
      type: 'string',
      describe:
        'File holding the key that encrypts secrets at rest; generated when missing (default: DATA_DIR/root.key)',
    },
    'config-file': {
      type: 'string',
      describe: 'YAML file declaring users with passwords, access keys and roles',
    },
    'rate-limit': {
      type: 'number',
      default: DEFAULT_SETTINGS.rateLimitPerMinute,
      describe: 'Requests per minute one access key may make, over all replicas',
    },
    'max-long-polls-per-key': {
      type: 'number',
      default: DEFAULT_SETTINGS.maxLongPollsPerKey,
      describe: 'Long polls one access key may have waiting at once, in each process (worker, replica)',
    },
    'long-poll-timeout': {
      type: 'string',
      default: '5m',
      describe: 'How long a long poll waits for a change before answering 304 (e.g. 30s, 5m)',
    },
    'provider-check-interval': {
      type: 'string',
      default: '5m',
      describe:
        'How often a session from an identity provider login (with a refresh token) is checked with the provider',
    },
    'audit-retention': {
      type: 'string',
      default: '365d',
      describe: 'How long audit events are kept (e.g. 90d, 8760h); older ones are removed hourly',
    },
    'log-level': {
      choices: ['debug', 'info', 'warn', 'error'] as const,
      default: 'info' as const,
      describe: 'Minimum level of log lines to print',
    },
    'access-log': {
      type: 'string',
      default: String(DEFAULT_SETTINGS.accessLog),
      describe:
        'Access log lines (at info level: method, path, status, duration; never the query, headers or body): ' +
        'off, all, or the share from 0 to 1 of successful quick reads logged; writes, answers of 400 and above ' +
        `and requests slower than ${SLOW_REQUEST_MS / 1000} s (not long polls) are always logged`,
      coerce: parseAccessLog,
    },
    workers: {
      type: 'number',
      default: defaultWorkers(),
      defaultDescription: 'the CPUs available, within a container CPU limit',
      describe:
        'Server processes sharing the port, each with its own database pool ' +
        `(${WORKER_POOL_SIZE} connections each when there are several); 1 runs one process`,
    },
  })
  .check(({ workers }) => {
    if (!Number.isInteger(workers) || workers < 1)
      throw new Error('--workers must be a whole number, at least 1')
    return true
  })
  .epilog(environmentHelp())
  .version(SERVER_VERSION)
  .strict()
  .help()
  .parseAsync()

const logger = createLogger(argv.logLevel)
const options: ServerOptions = {
  port: argv.port,
  tls: argv.insecureHttp
    ? 'insecure-http'
    : argv.tlsCert && argv.tlsKey
      ? { certFile: argv.tlsCert, keyFile: argv.tlsKey }
      : { selfSigned: { hostnames: argv.tlsHostname ?? [] } },
  databaseUrl: argv.databaseUrl,
  dataDir: argv.dataDir,
  adminAccessKey: argv.adminAccessKey,
  configFile: argv.configFile,
  rootKey: process.env[ROOT_KEY_VARIABLE],
  rootKeyFile: argv.rootKeyFile,
  logger,
  settings: {
    rateLimitPerMinute: argv.rateLimit,
    maxLongPollsPerKey: argv.maxLongPollsPerKey,
    longPollTimeoutMs: parseDuration(argv.longPollTimeout),
    providerSessionCheckMs: parseDuration(argv.providerCheckInterval),
    auditRetentionMs: parseDuration(argv.auditRetention),
    accessLog: argv.accessLog,
  },
}

try {
  const stop = await (
    argv.workers > 1 && cluster.isPrimary
      ? startPrimary(options, argv.workers)
      : startServer(
          cluster.isWorker ? { ...options, worker: true, databasePoolSize: WORKER_POOL_SIZE } : options,
        )
  ).then((server) => server.close)
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    // Ours alone: the embedded Postgres library's would stop Postgres and exit at once, cutting the grace short;
    // closing stops it, last.
    process.removeAllListeners(signal)
    process.once(signal, () => {
      void stop().then(() => process.exit(0))
    })
  }
} catch (error) {
  process.stderr.write(`infra-server: ${(error as Error).message}\n`)
  process.exit(1)
}

/** Does the one-time work of a start, then forks the workers, which find it done. */
async function startPrimary(options: ServerOptions, count: number) {
  const prepared = await prepareForWorkers(options)
  try {
    const workers = await startWorkers(count, { DATABASE_URL: prepared.databaseUrl }, logger)
    logger.info({ workers: count, port: workers.port }, 'infra server workers listening')
    prepared.announce(workers.port)
    return { close: () => workers.stop().then(() => prepared.close()) }
  } catch (error) {
    await prepared.close()
    throw error
  }
}
