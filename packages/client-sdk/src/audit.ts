import type { AuditEvent, IngestedAuditEvent } from '@infra/api-types'
import type { InfraClient } from './client.js'
import type { RequestOptions } from './http.js'
import type { CallOutput, QueryOf } from './types.js'

type ListQuery = QueryOf<'listAuditEvents'>
type StreamFilter = Omit<QueryOf<'streamAuditEvents'>, 'follow'>

export interface FollowOptions extends RequestOptions {
  /** Told when the stream broke off and is opened again, with the wait before it. */
  onReconnect?: (error: unknown, delayMs: number) => void
}

export interface AuditResource {
  /** One keyset page; pass its `next` as `after` for the following one. */
  list(query?: ListQuery, options?: RequestOptions): Promise<CallOutput<'listAuditEvents'>>
  /** Every event matching the query, page after page. */
  iterate(query?: Omit<ListQuery, 'after'>, options?: RequestOptions): AsyncGenerator<AuditEvent>
  get(id: string, options?: RequestOptions): Promise<AuditEvent>
  /** The events stored so far, in the order they were stored (`after`: resume after that event), then ends. */
  export(filter?: StreamFilter, options?: RequestOptions): AsyncGenerator<AuditEvent>
  /**
   * Like `export`, then each new event as it is stored, until `options.signal` aborts: when the server ends the
   * answer or the connection breaks, it opens the stream again after the last event it yielded.
   */
  follow(filter?: StreamFilter, options?: FollowOptions): AsyncGenerator<AuditEvent>
  /** The chain's last event and hash, to anchor elsewhere. */
  head(options?: RequestOptions): Promise<CallOutput<'getAuditHead'>>
  /** Checks the chain on the server (which holds its key). */
  verify(options?: RequestOptions): Promise<CallOutput<'verifyAudit'>>
  /** For connectors: stores a batch of kube events; IDs already stored count as duplicates. */
  ingest(
    destination: string,
    events: IngestedAuditEvent[],
    options?: RequestOptions,
  ): Promise<CallOutput<'ingestAuditEvents'>>
}

const RECONNECT = { initialMs: 500, maxMs: 30_000 }

const pause = (ms: number, signal: AbortSignal | undefined) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => {
      clearTimeout(timer)
      resolve()
    })
  })

export function createAuditResource(client: InfraClient): AuditResource {
  const { api } = client
  return {
    list: (query, options) => api.listAuditEvents(query === undefined ? {} : { query }, options),
    async *iterate(query = {}, options) {
      let after: string | undefined
      do {
        const page = await api.listAuditEvents(
          { query: { ...query, ...(after === undefined ? {} : { after }) } },
          options,
        )
        yield* page.items
        after = page.next ?? undefined
      } while (after !== undefined)
    },
    get: (id, options) => api.getAuditEvent({ params: { id } }, options),
    export: (filter = {}, options) => client.stream('streamAuditEvents', { query: filter }, options),
    async *follow(filter = {}, options = {}) {
      let after = filter.after
      let failures = 0
      while (!options.signal?.aborted) {
        try {
          const query = { ...filter, follow: true, ...(after === undefined ? {} : { after }) }
          for await (const event of client.stream('streamAuditEvents', { query }, options)) {
            after = event.id
            failures = 0
            yield event
          }
        } catch (error) {
          if (options.signal?.aborted) return
          failures++
          const delayMs = Math.min(RECONNECT.maxMs, RECONNECT.initialMs * 2 ** Math.min(failures - 1, 10))
          options.onReconnect?.(error, delayMs)
          await pause(delayMs, options.signal)
        }
      }
    },
    head: (options) => api.getAuditHead({}, options),
    verify: (options) => api.verifyAudit({}, options),
    ingest: (destination, events, options) =>
      api.ingestAuditEvents({ body: { destination, events } }, options),
  }
}
