import type { RequestHandler } from 'express'
import { performance } from 'node:perf_hooks'
import type { Logger } from './logger.js'
import { isLongPoll } from './long-poll-request.js'

/**
 * Which requests get an access log line: none, or the share (0 to 1) of ordinary requests (successful, quick
 * reads), while writes, answers of 400 and above and slow requests always get one.
 */
export type AccessLog = 'off' | number

/** An ordinary request taking longer than this is logged whatever the sampling (long polls wait by design). */
export const SLOW_REQUEST_MS = 1_000

const READS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** `off`, `all` or a share from 0 to 1, as --access-log takes it. */
export function parseAccessLog(text: string): AccessLog {
  if (text === 'off') return 'off'
  if (text === 'all') return 1
  const share = /^(0(\.\d+)?|1(\.0+)?|\.\d+)$/.test(text) ? Number(text) : NaN
  if (Number.isNaN(share)) throw new Error(`the access log is off, all or a share from 0 to 1, not "${text}"`)
  return share
}

/**
 * One line per request logged (at info level): the method, the path, the status and the duration, never the
 * query string, headers or body, which may carry secrets. Which requests is decided at the end, from `setting`.
 */
export function accessLog(logger: Logger, setting: AccessLog): RequestHandler | undefined {
  if (setting === 'off' || !logger.isLevelEnabled('info')) return undefined
  const share = setting
  return (req, res, next) => {
    const started = performance.now()
    res.once('finish', () => {
      const durationMs = performance.now() - started
      const always =
        res.statusCode >= 400 || !READS.has(req.method) || (durationMs > SLOW_REQUEST_MS && !isLongPoll(req))
      if (!always && (share === 0 || Math.random() >= share)) return
      logger.info({ method: req.method, path: req.path, status: res.statusCode, durationMs }, 'request')
    })
    next()
  }
}
