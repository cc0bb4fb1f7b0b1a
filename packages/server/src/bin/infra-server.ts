#!/usr/bin/env node
import { homedir } from 'node:os'
import { join } from 'node:path'
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { parseDuration } from '@infra/api-types'
import { DEFAULT_SETTINGS } from '../context.js'
import { startServer } from '../server.js'
import { SERVER_VERSION } from '../version.js'

const argv = await yargs(hideBin(process.argv))
  .scriptName('infra-server')
  .usage(
    '$0 [options]\n\nRuns the Infra server. Without a database URL it runs an embedded Postgres in the data directory.',
  )
  .env('INFRA_SERVER')
  .options({
    port: { type: 'number', default: 8080, describe: 'Port to listen on (INFRA_SERVER_PORT)' },
    'database-url': { type: 'string', describe: 'Postgres connection URL (DATABASE_URL)' },
    'data-dir': {
      type: 'string',
      default: join(homedir(), '.infra', 'server'),
      describe: 'Where the embedded Postgres and other state live (INFRA_SERVER_DATA_DIR)',
    },
    'admin-access-key': {
      type: 'string',
      describe:
        'Make sure user "admin" exists, is an Infra admin, and authenticates with this key (INFRA_ADMIN_ACCESS_KEY)',
    },
    'root-key-file': {
      type: 'string',
      describe:
        'File holding the key that encrypts secrets at rest; generated when missing (default: DATA_DIR/root.key). INFRA_ROOT_KEY gives the key itself',
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
      describe: 'Long polls one access key may have waiting at once',
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
    'log-level': {
      choices: ['debug', 'info', 'warn', 'error'] as const,
      default: 'info' as const,
      describe: 'Minimum level of log lines to print',
    },
  })
  .version(SERVER_VERSION)
  .strict()
  .help()
  .parseAsync()

try {
  const server = await startServer({
    port: argv.port,
    databaseUrl: argv.databaseUrl ?? process.env.DATABASE_URL,
    dataDir: argv.dataDir,
    adminAccessKey: argv.adminAccessKey ?? process.env.INFRA_ADMIN_ACCESS_KEY,
    configFile: argv.configFile,
    rootKey: process.env.INFRA_ROOT_KEY,
    rootKeyFile: argv.rootKeyFile,
    logLevel: argv.logLevel,
    settings: {
      rateLimitPerMinute: argv.rateLimit,
      maxLongPollsPerKey: argv.maxLongPollsPerKey,
      longPollTimeoutMs: parseDuration(argv.longPollTimeout),
      providerSessionCheckMs: parseDuration(argv.providerCheckInterval),
    },
  })
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void server.close().then(() => process.exit(0))
    })
  }
} catch (error) {
  process.stderr.write(`infra-server: ${(error as Error).message}\n`)
  process.exit(1)
}
