import type { RouteDefinition, RouteName, RouteOutput, Routes } from '@infra/api-types'
import type { z } from 'zod'
import type { Caller } from '../auth/caller.js'
import type { ServerContext } from '../context.js'
import type { JsonText } from '../services/json-page.js'
import type { RequestOrigin } from './audit-context.js'

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined

export interface HandlerInput<R extends RouteDefinition> {
  ctx: ServerContext
  /** Present on every route but the public ones, where it is present only if a key was sent. */
  caller: R['access'] extends 'public' ? Caller | undefined : Caller
  params: Parsed<R['params']>
  query: Parsed<R['query']>
  body: Parsed<R['body']>
  /** Where the request came from, for the audit events it causes. */
  origin: RequestOrigin
  /** Aborted when the client goes away, so that long polls and streams stop waiting. */
  signal: AbortSignal
}

/** A response with a status or headers other than the route's defaults. */
export class Reply<T> {
  constructor(
    readonly body: T,
    readonly status?: number,
    readonly headers: Record<string, string> = {},
  ) {}
}

/** A route's answer, as a value or already as JSON text (list pages, long-poll answers many requests share). */
export type Answer<R extends RouteDefinition> = R['streams'] extends true
  ? AsyncIterable<JsonText<RouteOutput<R>>>
  : RouteOutput<R> | JsonText<RouteOutput<R>>

export type Handler<R extends RouteDefinition> = (
  input: HandlerInput<R>,
) => Promise<Answer<R> | Reply<Answer<R> | undefined>>

/** One handler per route of the table: the compiler rejects a route without one. */
export type Handlers = { [K in RouteName]: Handler<Routes[K]> }
export type HandlersFor<K extends RouteName> = Pick<Handlers, K>
