import { backoffDelay } from '@infra/scheduling'
import type { Logger } from 'pino'
import { type KubeConnection, KubeError, type KubeObject } from './connection.js'

export interface InformerOptions {
  /** Collection path, e.g. `/api/v1/namespaces` or `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings`. */
  path: string
  labelSelector?: string
  /** Called after the first list and after every change of the set of objects. */
  onChange: () => void
  logger: Logger
  /** How long one watch request lasts before it is renewed. */
  watchTimeoutSeconds?: number
}

/**
 * Waits after a failed watch or list, doubling up to 3 s: an API server that restarts is watched again within
 * seconds of being back, however long it was away (a try is one connection to it).
 */
const WATCH_RETRY = { initialMs: 500, maxMs: 3_000 }

const key = (object: KubeObject) =>
  object.metadata.namespace ? `${object.metadata.namespace}/${object.metadata.name}` : object.metadata.name

interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'
  object: KubeObject & { code?: number; message?: string }
}

/**
 * Keeps a local copy of a collection: lists it, then watches from the list's resourceVersion, relisting
 * when the version is too old (410) and reconnecting with backoff after errors. No polling.
 */
export class Informer<T extends KubeObject> {
  readonly items = new Map<string, T>()
  private resourceVersion: string | undefined
  private controller = new AbortController()
  private synced: Promise<void>
  private resolveSynced!: () => void
  private running = false

  constructor(
    private readonly kube: KubeConnection,
    private readonly options: InformerOptions,
  ) {
    this.synced = new Promise((resolve) => (this.resolveSynced = resolve))
  }

  /** Starts the loop; resolves once the first list has arrived. */
  start(): Promise<void> {
    if (!this.running) {
      this.running = true
      void this.loop()
    }
    return this.synced
  }

  stop(): void {
    this.running = false
    this.controller.abort()
  }

  list(): T[] {
    return [...this.items.values()]
  }

  /**
   * Records the result of the connector's own write before its watch event arrives, so that the next
   * reconcile sees it (the event then changes nothing and triggers nothing).
   */
  written(object: T | { metadata: { name: string; namespace?: string } }, deleted = false): void {
    if (deleted) this.items.delete(key(object))
    else this.items.set(key(object), object as T)
  }

  private query(extra: Record<string, string>): string {
    const params = new URLSearchParams(extra)
    if (this.options.labelSelector) params.set('labelSelector', this.options.labelSelector)
    return params.toString()
  }

  private async relist(): Promise<void> {
    const list = await this.kube.list<T>(
      this.options.path,
      this.options.labelSelector ? { labelSelector: this.options.labelSelector } : {},
    )
    this.items.clear()
    for (const item of list.items) this.items.set(key(item), item)
    this.resourceVersion = list.metadata.resourceVersion
    this.resolveSynced()
    // Also after a reconnect without visible changes: whatever failed meanwhile is retried now.
    this.options.onChange()
  }

  private async loop(): Promise<void> {
    let failures = 0
    let needList = true
    while (this.running) {
      try {
        if (needList) {
          await this.relist()
          needList = false
        }
        const outcome = await this.watch()
        failures = 0
        if (outcome === 'gone') needList = true
      } catch (error) {
        if (!this.running) return
        failures++
        if (error instanceof KubeError && error.status === 410) needList = true
        else if (failures > 1) needList = true
        const delay = backoffDelay(WATCH_RETRY, failures)
        this.options.logger.warn(
          { err: error, path: this.options.path, retryInMs: delay },
          'watch failed; retrying',
        )
        await new Promise((resolve) => setTimeout(resolve, delay))
      }
    }
  }

  /** One watch request; resolves when it ends normally, 'gone' when the version expired. */
  private watch(): Promise<'ended' | 'gone'> {
    const query = this.query({
      watch: '1',
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(this.options.watchTimeoutSeconds ?? 300),
      ...(this.resourceVersion ? { resourceVersion: this.resourceVersion } : {}),
    })
    return new Promise((resolve, reject) => {
      const request = this.kube.rawRequest('GET', `${this.options.path}?${query}`, {
        accept: 'application/json',
      })
      const abort = () => request.destroy()
      this.controller.signal.addEventListener('abort', abort, { once: true })
      const done = () => this.controller.signal.removeEventListener('abort', abort)
      request.on('error', (error) => {
        done()
        reject(error)
      })
      request.on('response', (response) => {
        if (response.statusCode !== 200) {
          let text = ''
          response.setEncoding('utf8')
          response.on('data', (chunk: string) => (text += chunk))
          response.on('end', () => {
            done()
            reject(
              new KubeError(response.statusCode ?? 0, `watch ${this.options.path}: ${text.slice(0, 300)}`),
            )
          })
          return
        }
        let buffer = ''
        let gone = false
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => {
          buffer += chunk
          let newline = buffer.indexOf('\n')
          while (newline !== -1) {
            const line = buffer.slice(0, newline).trim()
            buffer = buffer.slice(newline + 1)
            newline = buffer.indexOf('\n')
            if (!line) continue
            let event: WatchEvent
            try {
              event = JSON.parse(line) as WatchEvent
            } catch {
              continue
            }
            if (event.type === 'ERROR') {
              if (event.object.code === 410) gone = true
              else this.options.logger.warn({ status: event.object }, 'watch error event')
              request.destroy()
              continue
            }
            this.apply(event)
          }
        })
        response.on('error', () => undefined)
        response.on('close', () => {
          done()
          resolve(gone ? 'gone' : 'ended')
        })
      })
      request.end()
    })
  }

  private apply(event: WatchEvent): void {
    const version = event.object.metadata?.resourceVersion
    if (version) this.resourceVersion = version
    if (event.type === 'BOOKMARK') return
    const object = event.object as T
    if (event.type === 'DELETED') {
      if (this.items.delete(key(object))) this.options.onChange()
      return
    }
    const previous = this.items.get(key(object))
    this.items.set(key(object), object)
    if (previous?.metadata.resourceVersion !== object.metadata.resourceVersion) this.options.onChange()
  }
}
