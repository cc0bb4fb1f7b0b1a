#!/usr/bin/env node
import { homedir } from 'node:os'
import { join } from 'node:path'
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
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
