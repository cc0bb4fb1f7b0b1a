import {
  API_VERSION,
  INFRA_VERSION_HEADER,
  routes,
  type RouteDefinition,
  type RouteName,
} from '@infra/api-types'
import type { Express, Request, Response } from 'express'
import { once } from 'node:events'
import type { z } from 'zod'
import { authenticate } from '../auth/authenticate.js'
import type { Caller } from '../auth/caller.js'
import { canReportForDestinations, passwordResetPending } from '../auth/policies.js'
import type { ServerContext } from '../context.js'
import {
  fieldError,
  ForbiddenError,
  invalidFields,
  InvalidError,
  TooManyAttemptsError,
} from '../domain/errors.js'
import { markDestinationSeen } from '../services/destinations.js'
import { requestOrigin } from './audit-context.js'
import { withoutAbsentValues, withoutEmptyParameters } from './absent-values.js'
import { asJsonText, JsonText } from '../services/json-page.js'
import { fieldNamesFor, toClientNames, toCurrentNames, type FieldNames } from './older-shapes.js'
import { validationError } from './errors.js'
import { Reply, type Handler, type HandlerInput, type Handlers } from './handler.js'

const VERSION_FORMAT = /^\d+\.\d+\.\d+$/

/** The version the client asked for; required on every route but the unversioned ones. */
function requestedVersion(route: RouteDefinition, req: Request): string | undefined {
  const version = req.get(INFRA_VERSION_HEADER)?.trim()
  if (version === undefined) {
    if (route.unversioned) return undefined
    throw new InvalidError(
      `the ${INFRA_VERSION_HEADER} header is required, e.g. "${INFRA_VERSION_HEADER}: ${API_VERSION}"`,
    )
  }
  if (!VERSION_FORMAT.test(version)) {
    if (route.unversioned) return undefined
    throw new InvalidError(`the ${INFRA_VERSION_HEADER} header must be a version such as ${API_VERSION}`)
  }
  return version
}

async function identify(
  ctx: ServerContext,
  route: RouteDefinition,
  req: Request,
): Promise<Caller | undefined> {
  const authorization = req.get('authorization')
  if (route.access === 'public') {
    return authorization ? authenticate(ctx, authorization).catch(() => undefined) : undefined
  }
  const caller = await authenticate(ctx, authorization)
  const rate = ctx.rateLimiter.check(`key:${caller.accessKeyId}`)
  if (!rate.allowed) {
    throw new TooManyAttemptsError(
      'too many requests with this access key; slow down',
      rate.retryAfterSeconds,
    )
  }
  if (caller.keyScope === 'password-reset' && !route.allowedDuringPasswordReset) {
    throw passwordResetPending()
  }
  if (route.access !== 'authenticated' && !route.access.some((role) => caller.roles.has(role))) {
    throw new ForbiddenError(`this requires the Infra role ${route.access.join(' or ')}`)
  }
  return caller
}

function isUnstorable(text: string): boolean {
  return text.includes('\u0000') || /\p{Cs}/u.test(text)
}

interface PathLink {
  key: string
  parent: PathLink | undefined
}

function pathOf(link: PathLink | undefined): string {
  const keys: string[] = []
  for (let at = link; at; at = at.parent) keys.push(at.key)
  return keys.reverse().join('.') || 'body'
}

/**
 * Postgres text cannot hold NUL characters, and lone UTF-16 surrogates (`"\ud800"` in JSON) are not text at all:
 * either would fail in the database. Names each field holding one by its path, as validation errors do.
 * Iterative, so that a deeply nested body can exhaust neither the stack nor the CPU.
 */
function unstorableFields(input: unknown): string[] {
  const found: string[] = []
  const pending: [unknown, PathLink | undefined][] = [[input, undefined]]
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, link] = next
    if (typeof value === 'string') {
      if (isUnstorable(value)) found.push(pathOf(link))
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) pending.push([item, { key, parent: link }])
    }
  }
  return found.reverse()
}

function parse<S extends z.ZodType | undefined>(schema: S, given: unknown, where: 'body' | 'query' | 'path') {
  if (!schema) return undefined
  const value = withoutAbsentValues(schema, given)
  const unstorable = unstorableFields(value)
  if (unstorable.length > 0) {
    throw invalidFields(
      where,
      unstorable.map((field) => fieldError(field, 'must not contain NUL characters or invalid Unicode')),
    )
  }
  const result = schema.safeParse(value)
  if (!result.success) throw validationError(result.error, where)
  return result.data
}

/** Sent by Infra's own connector (v0.21 and before) on every request it makes. */
const DESTINATION_NAME_HEADER = 'Infra-Destination-Name'

async function noteDestinationSeen(ctx: ServerContext, caller: Caller | undefined, req: Request) {
  const name = req.get(DESTINATION_NAME_HEADER)
  if (!caller || !name || name.length > 253 || !canReportForDestinations(caller)) return
  await markDestinationSeen(ctx.db, name)
}

/**
 * The answer as the client reads it. Text Postgres wrote goes out as it is, unless the client uses older field
 * names. With `checkResponses` (tests), every answer is first checked against its route's schema.
 */
function answerText(ctx: ServerContext, name: RouteName, body: unknown, names: FieldNames): string {
  if (ctx.checkResponses) {
    const checked = routes[name].response?.safeParse(JSON.parse(asJsonText(body).text))
    if (checked && !checked.success)
      throw new Error(`${name} answered off its schema: ${checked.error.message}`)
  }
  if (names.size === 0) return asJsonText(body).text
  return JSON.stringify(toClientNames(body instanceof JsonText ? JSON.parse(body.text) : body, names))
}

const NEVER_ABORTED = new AbortController().signal

/** Writes a streaming route's answer as NDJSON, as the lines come, waiting whenever the client reads slowly. */
async function writeStream(res: Response, lines: AsyncIterable<JsonText<unknown>>, signal: AbortSignal) {
  res.writeHead(200, { 'Content-Type': 'application/x-ndjson; charset=utf-8', 'Cache-Control': 'no-store' })
  res.flushHeaders()
  for await (const line of lines) {
    if (signal.aborted) break
    if (!res.write(`${line.text}\n`)) await once(res, 'drain', { signal }).catch(() => undefined)
  }
  res.end()
}

/** `/api/users/{id}` in the route table is `/api/users/:id` to Express. */
const expressPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1')

/** Binds every route of the table to its handler, behind version, authentication, role and input checks. */
export function registerRoutes(app: Express, ctx: ServerContext, handlers: Handlers): void {
  for (const name of Object.keys(routes) as RouteName[]) {
    const route: RouteDefinition = routes[name]
    const handler = handlers[name] as Handler<RouteDefinition>
    const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete'
    app[method](expressPath(route.path), async (req: Request, res: Response) => {
      const names = fieldNamesFor(route, requestedVersion(route, req))
      const caller = await identify(ctx, route, req)
      await noteDestinationSeen(ctx, caller, req)
      const params = parse(route.params, req.params, 'path')
      const query = parse(route.query, toCurrentNames(withoutEmptyParameters(req.query), names), 'query')
      const body = parse(route.body, toCurrentNames(req.body, names), 'body')
      // Only long polls and streams wait long enough to care that the client left.
      let signal = NEVER_ABORTED
      if (route.longPoll || route.streams) {
        const aborted = new AbortController()
        res.on('close', () => aborted.abort())
        signal = aborted.signal
      }
      // The schemas of this very route produced params, query and body, so they have the handler's types.
      const input = {
        ctx,
        caller,
        params,
        query,
        body,
        origin: requestOrigin(req),
        signal,
      } as HandlerInput<RouteDefinition>
      const result = await handler(input)
      if (route.streams) {
        await writeStream(res, result as unknown as AsyncIterable<JsonText<unknown>>, signal)
        return
      }
      // Whatever this process changed is visible to its very next request; other replicas hear of it
      // through the database's change notifications.
      if (route.method !== 'GET') ctx.callers.clear()
      const reply = result instanceof Reply ? result : new Reply(result)
      const status = reply.status ?? route.successStatus
      if (reply.body === undefined || route.response === null) {
        res.writeHead(status, reply.headers).end()
        return
      }
      // Written directly: Express's res.json does work (ETag, charset negotiation) this API never uses.
      const json = answerText(ctx, name, reply.body, names)
      res
        .writeHead(status, {
          ...reply.headers,
          'Content-Type': 'application/json; charset=utf-8',
          'Content-Length': Buffer.byteLength(json),
        })
        .end(json)
    })
  }
}
