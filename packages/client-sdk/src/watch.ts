import type { Page } from '@infra/api-types'
import { InfraApiError, InfraNetworkError, InfraTimeoutError } from './errors.js'
import type { RequestOptions } from './http.js'

export interface WatchOptions {
  /** Ends the iteration (without an error) when aborted, even in the middle of a long poll. */
  signal?: AbortSignal
  /** How long to wait for each long poll's answer; must exceed the server's own long-poll wait (5 min). Default 6 min. */
  pollTimeoutMs?: number
  /**
   * For a server that does not long-poll (it answers at once, without `Last-Update-Index`):
   * how often to ask again instead. Default 30 s.
   */
  fallbackPollIntervalMs?: number
  /** Reconnect delays after a failure: doubled from `initialDelayMs` up to `maxDelayMs`. Default 500 ms to 30 s. */
  backoff?: { initialDelayMs?: number; maxDelayMs?: number }
  /** Called before each reconnect after a transient failure, e.g. to log it. */
  onRetry?: (error: Error, info: { attempt: number; delayMs: number }) => void
  /**
   * Called when a complete answer repeats the last list yielded, which is then not yielded again: a long poll
   * woke for a change that leaves the list as it was (e.g. a member joining or leaving a group that holds
   * grants on the watched destination), or a poll of a server without long polling found no change.
   */
  onUnchanged?: () => void
}

export type ListResult<T> =
  { status: 304 } | { status: 200; page: Page<T>; lastUpdateIndex: number | undefined }

/** Fetches one page; with `lastUpdateIndex` the server may hold the request until the list changes. */
export type ListFetcher<T> = (
  query: { page: number; limit: number; lastUpdateIndex?: number },
  options: RequestOptions,
) => Promise<ListResult<T>>

// A watcher is long-lived: besides lost connections it outlasts server restarts (502/503 from a proxy,
// 500 while the database comes back) and rate limiting. Anything else (bad filter, revoked key) is for the caller.
const TRANSIENT_STATUSES = new Set([408, 429, 500, 502, 503, 504])

export function isTransient(error: unknown): error is Error {
  if (error instanceof InfraTimeoutError) return true
  if (error instanceof InfraNetworkError) return !error.isTLSError()
  return error instanceof InfraApiError && TRANSIENT_STATUSES.has(error.status)
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}

const PAGE_LIMIT = 1000
/** A 304 faster than this did not wait for a change: the server is stopping, or something in between answers. */
const QUICK_ANSWER_MS = 1000

/**
 * Yields the whole list now, then again each time it changes, until `signal` aborts.
 *
 * Each long poll sends the `Last-Update-Index` of the last complete list, so a change made while
 * disconnected (or while later pages were being fetched) wakes the next poll at once: none is lost.
 * The index only advances once every page of a list has arrived.
 */
export async function* watchList<T>(
  fetchList: ListFetcher<T>,
  options: WatchOptions = {},
): AsyncGenerator<T[], void, undefined> {
  const { signal } = options
  const pollTimeout = options.pollTimeoutMs ?? 6 * 60_000
  const fallbackInterval = options.fallbackPollIntervalMs ?? 30_000
  const initialDelay = options.backoff?.initialDelayMs ?? 500
  const maxDelay = options.backoff?.maxDelayMs ?? 30_000
  // The loop below does the retrying, with its own backoff; only a long poll needs its long timeout.
  const plain: RequestOptions = { signal, retry: 0 }
  const longPoll: RequestOptions = { ...plain, timeout: pollTimeout }

  let index: number | undefined
  let lastYielded: string | undefined
  let failures = 0
  let quickAnswers = 0
  const backoff = (attempt: number) =>
    Math.min(maxDelay, initialDelay * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2)

  while (!signal?.aborted) {
    let items: T[]
    let answeredIndex: number | undefined
    try {
      // Index 0 is older than any list, so the first poll answers at once, with the list and its index.
      const started = Date.now()
      const head = await fetchList({ page: 1, limit: PAGE_LIMIT, lastUpdateIndex: index ?? 0 }, longPoll)
      if (head.status === 304) {
        failures = 0
        quickAnswers = Date.now() - started < QUICK_ANSWER_MS ? quickAnswers + 1 : 0
        // Polling again at once would spin against a server that answers without waiting.
        if (quickAnswers > 0) await sleep(backoff(quickAnswers), signal)
        continue
      }
      items = [...head.page.items]
      for (let page = 2; page <= head.page.totalPages; page++) {
        const rest = await fetchList({ page, limit: PAGE_LIMIT }, plain)
        if (rest.status === 304) break
        items.push(...rest.page.items)
        if (rest.page.items.length === 0) break
      }
      answeredIndex = head.lastUpdateIndex
    } catch (error) {
      if (signal?.aborted) return
      if (!isTransient(error)) throw error
      failures++
      const retryAfter = error instanceof InfraApiError ? (error.retryAfterMs ?? 0) : 0
      const delayMs = Math.round(Math.max(backoff(failures), retryAfter))
      options.onRetry?.(error, { attempt: failures, delayMs })
      await sleep(delayMs, signal)
      continue
    }

    failures = 0
    quickAnswers = 0
    if (answeredIndex !== undefined) index = answeredIndex

    // Wake-ups for changes outside the filter, and polling without long-poll support, repeat the same list.
    const key = JSON.stringify(items)
    if (key !== lastYielded) {
      lastYielded = key
      yield items
    } else {
      options.onUnchanged?.()
    }
    // An immediate answer without an index means the server ignores lastUpdateIndex: poll, don't spin.
    if (answeredIndex === undefined) await sleep(fallbackInterval, signal)
  }
}
