import { ErrorBody, type HttpMethod } from '@infra/api-types'
import ky, { HTTPError, TimeoutError, type Options as KyOptions } from 'ky'
import { InfraApiError, InfraNetworkError, InfraTimeoutError, isTlsErrorCode, InfraError } from './errors.js'

export type FetchFunction = typeof globalThis.fetch

/**
 * How idempotent requests (GET, PUT, DELETE, and the POSTs the route table declares `safeToRetry`) are retried
 * on 429, 502, 503, 504 and lost connections; other POSTs and PATCH are never retried.
 */
export interface RetryOptions {
  /** Retries after the first attempt; 0 turns retrying off. Default 4. */
  limit?: number
  /** Delay before the first retry, doubled for each further one. Default 300 ms. */
  initialDelayMs?: number
  /** Upper bound of the computed delay. Default 10 s. */
  maxDelayMs?: number
  /** A `Retry-After` longer than this is not waited for: the error is raised instead. Default 60 s. */
  maxRetryAfterMs?: number
  /** No retry starts later than this after the first attempt. Default 30 s. */
  maxTotalMs?: number
}

/** Told before each retry: what failed (as the SDK error it would raise) and which retry comes next. */
export type RetryListener = (error: InfraError, info: { attempt: number }) => void

/** Per-call settings, accepted as the last argument of every method. */
export interface RequestOptions {
  signal?: AbortSignal | undefined
  /** Milliseconds to wait for each attempt's answer; `false` waits forever. */
  timeout?: number | false
  retry?: RetryOptions | number
}

export interface TransportConfig {
  baseUrl: string
  headers: Record<string, string>
  fetch: FetchFunction
  timeout: number | false
  retry: Required<RetryOptions>
  onRetry?: RetryListener | undefined
}

export interface RequestSpec {
  method: HttpMethod
  /** The route path with its parameters filled in. */
  path: string
  query?: Record<string, unknown> | undefined
  body?: unknown
  /** A POST its route declares safe to send again. */
  safeToRetry?: boolean | undefined
}

export interface RawResponse {
  method: HttpMethod
  url: string
  status: number
  headers: Headers
  /** The parsed JSON body; undefined when there was none. */
  body: unknown
  /** False when a body was present but was not JSON; `body` then holds its text. */
  isJson: boolean
}

// Rides out a server or database restart of a few seconds; past maxTotalMs the caller hears of it.
export const DEFAULT_RETRY: Required<RetryOptions> = {
  limit: 4,
  initialDelayMs: 300,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 60_000,
  maxTotalMs: 30_000,
}

// Statuses that say "try again later" rather than "this request is wrong": a proxy or load balancer
// in front of a restarting server, or rate limiting.
const RETRY_STATUSES = [429, 502, 503, 504]
const IDEMPOTENT_METHODS = ['get', 'put', 'delete', 'head', 'options']

export function normalizeRetry(
  retry: RetryOptions | number | undefined,
  base: Required<RetryOptions>,
): Required<RetryOptions> {
  if (retry === undefined) return base
  if (typeof retry === 'number') return { ...base, limit: retry }
  return {
    limit: retry.limit ?? base.limit,
    initialDelayMs: retry.initialDelayMs ?? base.initialDelayMs,
    maxDelayMs: retry.maxDelayMs ?? base.maxDelayMs,
    maxRetryAfterMs: retry.maxRetryAfterMs ?? base.maxRetryAfterMs,
    maxTotalMs: retry.maxTotalMs ?? base.maxTotalMs,
  }
}

/** `Retry-After` is either seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** Query values as the schemas accept them (numbers, booleans, lists) written as a query string. */
export function toSearchParams(query: Record<string, unknown> | undefined): URLSearchParams {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === undefined || item === null) continue
      params.append(name, String(item))
    }
  }
  return params
}

/** The system or TLS error code buried in a fetch failure, which wraps it one or more levels deep. */
export function networkErrorCode(error: unknown): string | undefined {
  let current: unknown = error
  // Duck-typed rather than `instanceof`: the platform's errors may come from another realm (vm, iframe).
  for (let depth = 0; depth < 6 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string' && code !== '') return code
    // Node reports a connection refused on every address of a host as an AggregateError.
    const errors = (current as { errors?: unknown }).errors
    if (Array.isArray(errors) && errors.length > 0 && !(current as { cause?: unknown }).cause) {
      current = errors[0]
      continue
    }
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

function isAbortError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError'
}

function causeMessage(error: unknown): string | undefined {
  const cause = typeof error === 'object' && error !== null ? (error as { cause?: unknown }).cause : undefined
  const message =
    typeof cause === 'object' && cause !== null ? (cause as { message?: unknown }).message : undefined
  return typeof message === 'string' && message !== '' ? message : undefined
}

function networkMessage(method: string, url: string, code: string | undefined, error: unknown): string {
  const origin = new URL(url).origin
  if (code !== undefined && isTlsErrorCode(code)) {
    return (
      `could not verify the TLS certificate of ${origin} (${code}): pass the server's CA certificate as ` +
      `trustedCertificate, or skipTLSVerify: true only for testing`
    )
  }
  const reason = code ?? causeMessage(error)
  return `${method} ${url} failed: no answer from ${origin}${reason ? ` (${reason})` : ''}`
}

async function apiErrorFrom(method: string, url: string, response: Response): Promise<InfraApiError> {
  const text = await response.text().catch(() => '')
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  const parsed = ErrorBody.safeParse(body)
  const retryAfterMs = parseRetryAfter(response.headers.get('Retry-After'))
  if (parsed.success) {
    return new InfraApiError({
      method,
      url,
      status: response.status,
      code: parsed.data.code,
      message: parsed.data.message,
      fieldErrors: parsed.data.fieldErrors,
      retryAfterMs,
    })
  }
  // Not Infra's error shape: a proxy, a load balancer or something else answered.
  const snippet = text.trim().slice(0, 200)
  const statusText = response.statusText ? ` ${response.statusText}` : ''
  return new InfraApiError({
    method,
    url,
    status: response.status,
    message: `${method} ${url} answered ${response.status}${statusText}${snippet ? `: ${snippet}` : ''}`,
    retryAfterMs,
  })
}

/** Sends one API request with the client's headers, timeout and retry policy, and maps failures to SDK errors. */
export class Transport {
  constructor(readonly config: TransportConfig) {}

  /** Sends a request and yields the lines of its answer as they arrive (an NDJSON stream). */
  async *lines(spec: RequestSpec, options: RequestOptions = {}): AsyncGenerator<string, void, undefined> {
    const { url, read } = this.#prepare(spec, options)
    const body = await read((response) => Promise.resolve(response.body))
    if (!body) return
    let pending = ''
    const decoder = new TextDecoder()
    const reader = body.getReader()
    try {
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        pending += decoder.decode(chunk.value, { stream: true })
        const lines = pending.split('\n')
        pending = lines.pop() ?? ''
        for (const line of lines) if (line.trim() !== '') yield line
      }
    } catch (error) {
      if (options.signal?.aborted) return
      throw new InfraNetworkError(`the stream from ${url} broke off`, spec.method, url, {
        cause: error,
        code: networkErrorCode(error),
      })
    } finally {
      // Also when the caller stops early: the server then sees the connection close.
      await reader.cancel().catch(() => undefined)
    }
    if (pending.trim() !== '') yield pending
  }

  #prepare(spec: RequestSpec, options: RequestOptions) {
    const retry = normalizeRetry(options.retry, this.config.retry)
    const timeout = options.timeout ?? this.config.timeout
    const search = toSearchParams(spec.query).toString()
    const url = `${this.config.baseUrl}${spec.path}${search ? `?${search}` : ''}`
    const started = Date.now()
    const kyOptions: KyOptions = {
      method: spec.method,
      headers: this.config.headers,
      fetch: this.config.fetch,
      timeout,
      // 304 answers a long poll that saw no change: a result for the caller, not an error.
      throwHttpErrors: (status) => status >= 400,
      retry: {
        limit: retry.limit,
        methods: spec.safeToRetry ? [...IDEMPOTENT_METHODS, 'post'] : IDEMPOTENT_METHODS,
        statusCodes: RETRY_STATUSES,
        afterStatusCodes: RETRY_STATUSES,
        delay: (attempt) => retry.initialDelayMs * 2 ** (attempt - 1),
        backoffLimit: retry.maxDelayMs,
        // Spread retries of many clients hitting one restarting server, without making any too eager.
        jitter: (delay) => delay * (0.5 + Math.random() / 2),
        shouldRetry: ({ error: seen }) => {
          // ky wraps what does not pass its `instanceof Error` (an error from another realm) in a NonError.
          const error = seen.name === 'NonError' && 'value' in seen ? seen.value : seen
          if (options.signal?.aborted || isAbortError(error)) return false
          if (Date.now() - started >= retry.maxTotalMs) return false
          if (error instanceof HTTPError) {
            const after = parseRetryAfter(error.response.headers.get('Retry-After'))
            if (after !== undefined && after > retry.maxRetryAfterMs) return false
            return undefined
          }
          if (error instanceof TimeoutError) return false
          const code = networkErrorCode(error)
          // Retrying cannot fix an untrusted certificate or a host that does not exist.
          if (code !== undefined && (isTlsErrorCode(code) || code === 'ENOTFOUND')) return false
          return true
        },
      },
    }
    if (spec.body !== undefined) kyOptions.json = spec.body
    if (options.signal) kyOptions.signal = options.signal

    const fail = (error: unknown): unknown => {
      if (options.signal?.aborted) return options.signal.reason ?? error
      if (error instanceof TimeoutError) return new InfraTimeoutError(spec.method, url, Number(timeout))
      if (isAbortError(error)) return error
      const code = networkErrorCode(error)
      return new InfraNetworkError(networkMessage(spec.method, url, code, error), spec.method, url, {
        cause: error,
        code,
      })
    }

    const { onRetry } = this.config
    if (onRetry) {
      kyOptions.hooks = {
        beforeRetry: [
          async ({ error, retryCount }) => {
            const seen =
              error instanceof HTTPError ? await apiErrorFrom(spec.method, url, error.response) : fail(error)
            if (seen instanceof InfraError) onRetry(seen, { attempt: retryCount })
          },
        ],
      }
    }

    const read = async <T>(use: (response: Response) => Promise<T>): Promise<T> => {
      try {
        return await use(await ky(url, kyOptions))
      } catch (error) {
        if (error instanceof HTTPError && !options.signal?.aborted) {
          throw await apiErrorFrom(spec.method, url, error.response)
        }
        throw fail(error)
      }
    }
    return { url, read }
  }

  /** Sends a request and reads its whole answer. */
  async send(spec: RequestSpec, options: RequestOptions = {}): Promise<RawResponse> {
    const { url, read } = this.#prepare(spec, options)
    const { response, text } = await read(async (response) => ({
      response,
      text: response.status === 204 || response.status === 304 ? '' : await response.text(),
    }))
    const raw = { method: spec.method, url, status: response.status, headers: response.headers }
    if (text === '') return { ...raw, body: undefined, isJson: true }
    try {
      return { ...raw, body: JSON.parse(text) as unknown, isJson: true }
    } catch {
      return { ...raw, body: text, isJson: false }
    }
  }
}
