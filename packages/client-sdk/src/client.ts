import {
  API_VERSION,
  INFRA_VERSION_HEADER,
  LAST_UPDATE_INDEX_HEADER,
  buildPath,
  routes,
  type Page,
  type RouteDefinition,
  type RouteName,
} from '@infra/api-types'
import { InfraResponseValidationError } from './errors.js'
import {
  DEFAULT_RETRY,
  Transport,
  normalizeRetry,
  type FetchFunction,
  type RawResponse,
  type RequestOptions,
  type RetryListener,
  type RetryOptions,
} from './http.js'
import { PageIterator } from './pagination.js'
import { createResources, type Resources } from './resources.js'
import { parseServerUrl } from './server-url.js'
import { tlsFetch, wantsCustomTls, type TlsFetch } from './tls.js'
import type {
  BodyOf,
  CallArgs,
  CallInput,
  CallOutput,
  FilterOf,
  ItemOf,
  ListRouteName,
  LongPollRouteName,
  StreamRouteName,
  WatchFilterOf,
} from './types.js'
import { SDK_VERSION } from './version.js'
import { watchList, type ListResult, type WatchOptions } from './watch.js'

function parsedLine(line: string): Pick<RawResponse, 'body' | 'isJson'> {
  try {
    return { body: JSON.parse(line) as unknown, isJson: true }
  } catch {
    return { body: line, isJson: false }
  }
}

export interface InfraClientOptions {
  /** `host`, `host:port` or a URL; a bare host means https, plain http must be written out. */
  server: string
  /** An access key `<keyID>.<secret>`; may be left out for public routes such as `login` and `version`. */
  accessKey?: string | undefined
  /** A fetch to use instead of the global one (tests, proxies, instrumented clients). */
  fetch?: FetchFunction
  /** Milliseconds to wait for each attempt's answer, or `false` to wait forever. Default 30 s. */
  timeout?: number | false
  /** Retry policy of idempotent requests, or a number of retries. Default 4 retries within 30 s. */
  retry?: RetryOptions | number
  /** Told before each retry, e.g. to say once that the server is unavailable and the call is being retried. */
  onRetry?: RetryListener
  /** Accept any server certificate. Only for testing (Node only). */
  skipTLSVerify?: boolean
  /**
   * PEM of a certificate to trust besides the usual roots (Node only): a server presenting exactly it is trusted
   * whatever name it is reached by (pinning); another must chain to it, with the host-name check.
   */
  trustedCertificate?: string
  /** Names the program using the SDK in the User-Agent, e.g. `infra-cli/0.17.0`. */
  userAgent?: string
}

/** One typed method per route of the table, named as in the table: `client.api.listUsers({ query })`. */
export type RouteMethods = {
  [K in RouteName]: (...args: CallArgs<K>) => Promise<CallOutput<K>>
}

interface LooseInput {
  params?: Record<string, string>
  query?: Record<string, unknown>
  body?: unknown
}

const DEFAULT_TIMEOUT_MS = 30_000

function runtimeDescription(): string {
  const node = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node
  return node === undefined ? '' : ` node/${node}`
}

function summarizeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  const shown = issues.slice(0, 3).map((issue) => {
    const path = issue.path.map(String).join('.')
    return path === '' ? issue.message : `${path}: ${issue.message}`
  })
  const more = issues.length > shown.length ? ` (and ${issues.length - shown.length} more)` : ''
  return shown.join('; ') + more
}

/**
 * A client for the Infra API. Every method is typed by the route table of `@infra/api-types`
 * and every answer is checked against the route's response schema.
 */
export class InfraClient {
  /** The base URL requests go to, e.g. `https://infra.example.com`. */
  readonly serverUrl: string
  /** Every route of the table as a typed method, so a new route needs no client code. */
  readonly api: RouteMethods

  readonly users: Resources['users']
  readonly groups: Resources['groups']
  readonly grants: Resources['grants']
  readonly destinations: Resources['destinations']
  readonly accessKeys: Resources['accessKeys']
  readonly providers: Resources['providers']
  readonly audit: Resources['audit']

  readonly #transport: Transport
  readonly #tls: TlsFetch | undefined
  readonly #options: InfraClientOptions

  constructor(options: InfraClientOptions) {
    this.#options = options
    this.serverUrl = parseServerUrl(options.server)
    const secure = this.serverUrl.startsWith('https:')
    if (options.fetch && secure && wantsCustomTls(options)) {
      throw new TypeError(
        'pass either fetch or the TLS options (trustedCertificate, skipTLSVerify), not both',
      )
    }
    this.#tls = secure && wantsCustomTls(options) ? tlsFetch(options) : undefined
    const fetch = options.fetch ?? this.#tls?.fetch ?? globalThis.fetch.bind(globalThis)

    const caller = options.userAgent?.trim()
    const headers: Record<string, string> = {
      Accept: 'application/json',
      [INFRA_VERSION_HEADER]: API_VERSION,
      'User-Agent': `${caller ? `${caller} ` : ''}infra-client-sdk/${SDK_VERSION}${runtimeDescription()}`,
    }
    if (options.accessKey) headers.Authorization = `Bearer ${options.accessKey}`

    this.#transport = new Transport({
      baseUrl: this.serverUrl,
      headers,
      fetch,
      timeout: options.timeout ?? DEFAULT_TIMEOUT_MS,
      retry: normalizeRetry(options.retry, DEFAULT_RETRY),
      onRetry: options.onRetry,
    })

    const api: Partial<
      Record<RouteName, (input?: LooseInput, options?: RequestOptions) => Promise<unknown>>
    > = {}
    for (const name of Object.keys(routes) as RouteName[]) {
      api[name] = (input, requestOptions) => this.#call(name, input, requestOptions)
    }
    // Built from the table's own keys just above, so it has exactly the methods RouteMethods names.
    this.api = api as unknown as RouteMethods

    const resources = createResources(this)
    this.users = resources.users
    this.groups = resources.groups
    this.grants = resources.grants
    this.destinations = resources.destinations
    this.accessKeys = resources.accessKeys
    this.providers = resources.providers
    this.audit = resources.audit
  }

  /** The same settings with another access key, e.g. the one `login` returned; `close()` each client. */
  withAccessKey(accessKey: string | undefined): InfraClient {
    return new InfraClient({ ...this.#options, accessKey })
  }

  /** Calls any route of the table by name: `client.call('getUser', { params: { id: 'self' } })`. */
  call<K extends RouteName>(name: K, ...args: CallArgs<K>): Promise<CallOutput<K>> {
    const [input, options] = args as [input?: LooseInput, options?: RequestOptions]
    return this.#call(name, input, options) as Promise<CallOutput<K>>
  }

  /**
   * The objects of a streaming route's answer as they arrive, each checked against the route's schema; the
   * generator ends when the server ends the answer. Stop it with `options.signal` (or `break`).
   */
  async *stream<K extends StreamRouteName>(
    name: K,
    input: CallInput<K> = {} as CallInput<K>,
    options: RequestOptions = {},
  ): AsyncGenerator<CallOutput<K>, void, undefined> {
    const route: RouteDefinition = routes[name]
    const loose = input as LooseInput
    const lines = this.#transport.lines(
      { method: route.method, path: buildPath(route.path, loose.params), query: loose.query },
      // A followed stream stays open by design: the timeout is only for its answer to begin.
      { ...options, timeout: options.timeout ?? false },
    )
    const answer = { method: route.method, url: `${this.serverUrl}${route.path}`, status: 200 }
    for await (const line of lines) {
      const raw: RawResponse = { ...answer, headers: new Headers(), ...parsedLine(line) }
      yield this.#validate(name, raw) as CallOutput<K>
    }
  }

  /** Every item of a list route, page by page; see {@link PageIterator}. */
  paginate<K extends ListRouteName>(
    name: K,
    query: FilterOf<K> & { page?: number } = {} as FilterOf<K>,
    options?: RequestOptions,
  ): PageIterator<ItemOf<K>> {
    const filter = query as Record<string, unknown> & { page?: number; limit?: number }
    return new PageIterator<ItemOf<K>>(
      async (page) => (await this.#call(name, { query: { ...filter, page } }, options)) as Page<ItemOf<K>>,
      filter.page ?? 1,
    )
  }

  /**
   * Yields the full list of a long-poll route now and each time it changes; see {@link WatchOptions}.
   * Stop it with `options.signal` (or `break`).
   */
  watch<K extends LongPollRouteName>(
    name: K,
    filter: WatchFilterOf<K> = {} as WatchFilterOf<K>,
    options: WatchOptions = {},
  ): AsyncGenerator<ItemOf<K>[], void, undefined> {
    return watchList<ItemOf<K>>(
      async (paging, requestOptions) =>
        (await this.#list(name, { ...filter, ...paging }, requestOptions)) as ListResult<ItemOf<K>>,
      options,
    )
  }

  /** Exchanges a password or an access key for a new session key; pass it on with `withAccessKey`. */
  login(body: BodyOf<'login'>, options?: RequestOptions): Promise<CallOutput<'login'>> {
    return this.api.login({ body }, options)
  }

  /** Revokes the access key this client uses. */
  logout(options?: RequestOptions): Promise<void> {
    return this.api.logout({}, options)
  }

  /**
   * A short-lived JWT for kubectl at `destination`, naming the caller and their groups; only that destination's
   * connector accepts it.
   */
  createToken(destination: string, options?: RequestOptions): Promise<CallOutput<'createToken'>> {
    return this.api.createToken({ body: { destination } }, options)
  }

  /** The server's version. */
  version(options?: RequestOptions): Promise<CallOutput<'getVersion'>> {
    return this.api.getVersion({}, options)
  }

  /** The public keys that verify the tokens of `createToken`. */
  jwks(options?: RequestOptions): Promise<CallOutput<'getJwks'>> {
    return this.api.getJwks({}, options)
  }

  /** Releases what the TLS options opened (an HTTP agent and its idle connections); a no-op otherwise. */
  async close(): Promise<void> {
    await this.#tls?.close()
  }

  async #call(name: RouteName, input: LooseInput = {}, options?: RequestOptions): Promise<unknown> {
    const raw = await this.#send(name, input, options)
    if (raw.status === 304) {
      throw this.#invalid(name, raw, 'no body (304 Not Modified); long polls go through watch()', [])
    }
    return this.#validate(name, raw)
  }

  async #list(
    name: ListRouteName,
    query: Record<string, unknown>,
    options?: RequestOptions,
  ): Promise<ListResult<unknown>> {
    const raw = await this.#send(name, { query }, options)
    if (raw.status === 304) return { status: 304 }
    const page = this.#validate(name, raw) as Page<unknown>
    const header = raw.headers.get(LAST_UPDATE_INDEX_HEADER)
    const index = header === null || !/^\d+$/.test(header.trim()) ? undefined : Number(header)
    return { status: 200, page, lastUpdateIndex: index }
  }

  #send(name: RouteName, input: LooseInput, options?: RequestOptions): Promise<RawResponse> {
    const route: RouteDefinition = routes[name]
    return this.#transport.send(
      {
        method: route.method,
        path: buildPath(route.path, input.params),
        query: input.query,
        body: input.body,
        safeToRetry: route.safeToRetry,
      },
      options,
    )
  }

  #validate(name: RouteName, raw: RawResponse): unknown {
    const route: RouteDefinition = routes[name]
    if (route.response === null) return undefined
    if (!raw.isJson) throw this.#invalid(name, raw, 'the body is not JSON', [])
    if (raw.body === undefined) throw this.#invalid(name, raw, 'there is no body', [])
    const parsed = route.response.safeParse(raw.body)
    if (!parsed.success)
      throw this.#invalid(name, raw, summarizeIssues(parsed.error.issues), parsed.error.issues)
    return parsed.data
  }

  #invalid(
    name: RouteName,
    raw: RawResponse,
    detail: string,
    issues: InfraResponseValidationError['issues'],
  ): InfraResponseValidationError {
    return new InfraResponseValidationError({
      method: raw.method,
      url: raw.url,
      route: name,
      status: raw.status,
      issues,
      body: raw.body,
      detail,
    })
  }
}
