import type { Page, RouteInput, RouteName, RouteOutput, Routes } from '@infra/api-types'
import type { RequestOptions } from './http.js'

type Simplify<T> = { [K in keyof T]: T[K] } & {}

type RequiredKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? never : K }[keyof T]

/**
 * What `client.call(name, input)` takes: the route's params, query and body as its schemas accept them.
 * Parts whose schema accepts `undefined` (an optional body, a query with only optional fields) may be left out.
 */
export type CallInput<K extends RouteName> = Simplify<
  { [P in RequiredKeys<RouteInput<Routes[K]>>]: RouteInput<Routes[K]>[P] } & {
    [P in Exclude<keyof RouteInput<Routes[K]>, RequiredKeys<RouteInput<Routes[K]>>>]?: RouteInput<
      Routes[K]
    >[P]
  }
>

/** The arguments of `call(name, ...)` after the name: the input may be left out when all of it is optional. */
export type CallArgs<K extends RouteName> = [RequiredKeys<RouteInput<Routes[K]>>] extends [never]
  ? [input?: CallInput<K>, options?: RequestOptions]
  : [input: CallInput<K>, options?: RequestOptions]

/** What a route answers with, as its response schema outputs it (`void` for routes without a body). */
export type CallOutput<K extends RouteName> = RouteOutput<Routes[K]>

/** The routes that answer one page of a list. */
export type ListRouteName = {
  [K in RouteName]: CallOutput<K> extends Page<unknown> ? K : never
}[RouteName]

/** The routes that long-poll when given `lastUpdateIndex`. */
export type LongPollRouteName = {
  [K in RouteName]: Routes[K] extends { longPoll: true } ? K : never
}[RouteName]

/** The routes that answer an NDJSON stream. */
export type StreamRouteName = {
  [K in RouteName]: Routes[K] extends { streams: true } ? K : never
}[RouteName]

/** The item type of a list route. */
export type ItemOf<K extends ListRouteName> = CallOutput<K> extends Page<infer T> ? T : never

/** The query a route accepts, as its schema accepts it. */
export type QueryOf<K extends RouteName> =
  RouteInput<Routes[K]> extends { query?: infer Q } ? Exclude<Q, undefined> : never

/** The path parameters a route takes. */
export type ParamsOf<K extends RouteName> = RouteInput<Routes[K]> extends { params: infer P } ? P : never

/** The body a route takes, as its schema accepts it. */
export type BodyOf<K extends RouteName> = RouteInput<Routes[K]> extends { body: infer B } ? B : never

/** The query of a list route without the paging fields, which the pagination helpers manage. */
export type FilterOf<K extends ListRouteName> = Omit<QueryOf<K>, 'page' | 'lastUpdateIndex'>

/** The query of a long-poll route without the fields that `watch` manages. */
export type WatchFilterOf<K extends LongPollRouteName> = Omit<
  QueryOf<K>,
  'page' | 'limit' | 'lastUpdateIndex'
>
