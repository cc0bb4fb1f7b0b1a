import { pino, type Logger } from 'pino'

export type { Logger }

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

/**
 * Structured JSON logs. Known secret-bearing fields are censored as a second line of defence:
 * code never logs a key, password or token on purpose.
 */
export function createLogger(level: LogLevel): Logger {
  return pino({
    level,
    // The pid tells the processes of `infra-server --workers` apart.
    base: { service: 'infra-server', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['*.authorization', '*.password', '*.accessKey', '*.secret', '*.token', '*.clientSecret'],
      censor: '[redacted]',
    },
  })
}
