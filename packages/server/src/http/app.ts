import express, { type ErrorRequestHandler, type Express, type RequestHandler, type Response } from 'express'
import type { ServerContext } from '../context.js'
import type { Handlers } from './handler.js'
import { DatabaseUnavailableError, isDomainError } from '../domain/errors.js'
import { accessLog } from './access-log.js'
import { ApiError, apiErrorFrom } from './errors.js'
import { isLongPoll } from './long-poll-request.js'
import { registerRoutes } from './register-routes.js'

export const MAX_BODY_BYTES = 1024 * 1024

/** Answers 503 when a request takes too long; long polls wait by design and have their own timeout. */
function requestTimeout(ctx: ServerContext): RequestHandler {
  return (req, res, next) => {
    if (isLongPoll(req)) return next()
    const timer = setTimeout(() => {
      if (res.headersSent) return
      const error = new ApiError(503, 'the server took too long to answer; try again', undefined, {
        'Retry-After': '1',
      })
      res.status(error.status).set(error.headers).json(error.toBody())
    }, ctx.settings.requestTimeoutMs)
    res.on('close', () => clearTimeout(timer))
    next()
  }
}

function errorBody(ctx: ServerContext): ErrorRequestHandler {
  return (error: unknown, _req, res, _next) => {
    let apiError: ApiError
    if (error instanceof ApiError) {
      apiError = error
    } else if (isDomainError(error)) {
      apiError = apiErrorFrom(error)
    } else if (isBodyParserError(error)) {
      apiError =
        error.type === 'entity.too.large'
          ? new ApiError(413, `the request body is larger than ${MAX_BODY_BYTES} bytes`)
          : new ApiError(
              400,
              error.type === 'entity.parse.failed' ? 'the request body is not valid JSON' : error.message,
            )
    } else if (isClientError(error)) {
      // Raised by Express itself for a bad request, e.g. a path with malformed percent-encoding
      // ("Failed to decode param") or a body that does not match its Content-Encoding.
      apiError = new ApiError(error.status, error.message)
    } else {
      void ctx.database.explains(error).then((outage) => {
        if (!outage) ctx.logger.error({ err: error }, 'unhandled error')
        send(
          res,
          outage ? apiErrorFrom(new DatabaseUnavailableError()) : new ApiError(500, 'internal server error'),
        )
      })
      return
    }
    send(res, apiError)
  }
}

function send(res: Response, apiError: ApiError): void {
  if (res.headersSent) return void res.end()
  res.status(apiError.status).set(apiError.headers).json(apiError.toBody())
}

function isBodyParserError(error: unknown): error is Error & { type: string; status: number } {
  return error instanceof Error && typeof (error as { type?: unknown }).type === 'string' && 'status' in error
}

function isClientError(error: unknown): error is Error & { status: number } {
  const status = error instanceof Error ? (error as { status?: unknown }).status : undefined
  return typeof status === 'number' && status >= 400 && status < 500
}

export function createApp(ctx: ServerContext, handlers: Handlers, isReady: () => boolean): Express {
  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)
  const log = accessLog(ctx.logger, ctx.settings.accessLog)
  if (log) app.use(log)
  // While shutting down, answer what arrives on open connections and close them, so clients move elsewhere.
  app.use((_req, res, next) => {
    if (!isReady()) res.set('Connection', 'close')
    next()
  })
  app.get('/healthz', (_req, res) => {
    res.status(isReady() ? 200 : 503).json({ status: isReady() ? 'ok' : 'starting' })
  })
  // Readiness, for load balancers and orchestrators: whether requests needing the database can be answered.
  app.get('/readyz', (_req, res, next) => {
    if (!isReady())
      return next(new ApiError(503, 'the server is not serving', undefined, { 'Retry-After': '1' }))
    ctx.database
      .ready()
      .then(
        (answers) => (answers ? res.json({ status: 'ready' }) : next(new DatabaseUnavailableError())),
        next,
      )
  })
  app.use(express.json({ limit: MAX_BODY_BYTES, strict: false }))
  app.use(requestTimeout(ctx))
  registerRoutes(app, ctx, handlers)
  app.use((req, _res, next) => next(new ApiError(404, `no route ${req.method} ${req.path}`)))
  app.use(errorBody(ctx))
  return app
}
