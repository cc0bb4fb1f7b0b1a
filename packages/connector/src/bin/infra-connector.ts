#!/usr/bin/env node
import { every } from '@infra/scheduling'
import { pino } from 'pino'
import { ConfigError, HELP, parseConfig } from '../config.js'
import { startConnector } from '../connector.js'
import { RegistrationError } from '../registration.js'

async function main(): Promise<number> {
  let parsed
  try {
    parsed = parseConfig(process.argv.slice(2))
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`infra-connector: ${error.message}\n`)
      return 2
    }
    throw error
  }
  if (parsed.help) {
    process.stdout.write(HELP)
    return 0
  }
  // One audit line per proxied request: written in batches of about 4 KiB, or after at most a second,
  // instead of one write per line; flushed at exit.
  const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 })
  every(1000, () => destination.flush())
  process.once('exit', () => destination.flushSync())
  const logger = pino({ level: parsed.config.logLevel, base: { component: 'infra-connector' } }, destination)
  let connector
  try {
    connector = await startConnector({ ...parsed.config, logger })
  } catch (error) {
    logger.fatal({ err: error }, error instanceof RegistrationError ? error.message : 'could not start')
    return 1
  }
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, 'shutting down')
      void connector.stop(10_000).then(resolve)
    }
    process.once('SIGTERM', () => shutdown('SIGTERM'))
    process.once('SIGINT', () => shutdown('SIGINT'))
  })
  return 0
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `infra-connector: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    )
    process.exit(1)
  },
)
