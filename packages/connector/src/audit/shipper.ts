import { IngestedAuditEvent } from '@infra/api-types'
import type { Logger } from 'pino'
import { newEventId, type ConnectorAuditEvent } from './events.js'

/** The server's answer to one batch. */
export interface IngestResult {
  accepted: number
  duplicates: number
}

/** Why a batch was not taken: `rejected` when the server refused its content (sending it again cannot help). */
export class IngestError extends Error {
  override readonly name = 'IngestError'
  constructor(
    message: string,
    readonly rejected: boolean,
  ) {
    super(message)
  }
}

export interface AuditShipperOptions {
  /** Sends one batch to the server; the same batch may be sent again (the server keeps an id once). */
  send(events: ConnectorAuditEvent[], signal: AbortSignal): Promise<IngestResult>
  /** Most events held while the server cannot take them; more are dropped (and counted). */
  bufferSize: number
  /** Whether the proxy refuses requests while events cannot be delivered. */
  failClosed: boolean
  logger: Logger
  /** How late an event may be sent. Default 1 s. */
  flushMs?: number
  /** Most events in one batch (the ingest route's limit). Default 1000. */
  maxBatch?: number
  /** Longest wait between two attempts while the server does not take events. Default 5 s. */
  maxRetryMs?: number
  /** How long one attempt may take. Default 10 s. */
  sendTimeoutMs?: number
}

export interface AuditStats {
  buffered: number
  delivered: number
  duplicates: number
  dropped: number
  rejected: number
}

interface DiscoveryCount {
  count: number
  since: Date
}

/**
 * Holds the connector's audit events and ships them to the server in batches, at most `flushMs` after they
 * happened. `record` never waits: kubectl's requests never wait on the audit path. While the server cannot
 * take them, events stay in a bounded buffer and the same batch is sent again (with the same ids, so a batch
 * that was stored but whose answer was lost is not stored twice); when the buffer is full, new events are
 * dropped and counted. Discovery requests are only counted: one event per user per flush.
 */
export class AuditShipper {
  private buffer: ConnectorAuditEvent[] = []
  private readonly discovery = new Map<string, DiscoveryCount>()
  private readonly counts: AuditStats = { buffered: 0, delivered: 0, duplicates: 0, dropped: 0, rejected: 0 }
  private timer: NodeJS.Timeout | undefined
  private sending: Promise<void> | undefined
  /** Whether the last attempt failed: the server cannot take events now. */
  private failing = false
  private retryMs: number
  private droppingSince: number | undefined
  private stopped = false
  private readonly inFlight = new AbortController()
  private readonly flushMs: number
  private readonly maxBatch: number
  private readonly maxRetryMs: number

  constructor(private readonly options: AuditShipperOptions) {
    this.flushMs = options.flushMs ?? 1_000
    this.maxBatch = options.maxBatch ?? 1_000
    this.maxRetryMs = options.maxRetryMs ?? 5_000
    this.retryMs = this.flushMs
  }

  /**
   * Whether the proxy may serve requests: always, unless failing closed while events cannot be delivered
   * or the buffer is full.
   */
  get accepting(): boolean {
    return !this.options.failClosed || (!this.failing && this.buffer.length < this.options.bufferSize)
  }

  stats(): AuditStats {
    return { ...this.counts, buffered: this.buffer.length }
  }

  /** Keeps the event for the next batch; false when the buffer is full and it was dropped. */
  record(event: ConnectorAuditEvent): boolean {
    if (this.buffer.length >= this.options.bufferSize) {
      this.counts.dropped++
      if (this.droppingSince === undefined) {
        this.droppingSince = this.counts.dropped - 1
        this.options.logger.warn(
          { buffered: this.buffer.length, dropped: this.counts.dropped },
          'the audit buffer is full: dropping audit events until the server takes them',
        )
      }
      return false
    }
    this.buffer.push(event)
    if (this.buffer.length >= this.maxBatch && !this.failing) void this.flush()
    return true
  }

  /** Counts one discovery request of `user` (sent as one `kube.discovery` event per user per flush). */
  countDiscovery(user: string): void {
    const entry = this.discovery.get(user)
    if (entry) entry.count++
    else this.discovery.set(user, { count: 1, since: new Date() })
  }

  start(): void {
    this.schedule(this.flushMs)
  }

  /** Sends what is held (waiting at most `graceMs`), then stops; what could not be sent is counted as dropped. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    clearTimeout(this.timer)
    const deadline = Date.now() + graceMs
    this.takeDiscoveryCounts()
    const abort = setTimeout(() => this.inFlight.abort(new Error('the connector is stopping')), graceMs)
    try {
      await this.sending
      while (this.buffer.length > 0 && Date.now() < deadline && !this.inFlight.signal.aborted) {
        if (!(await this.sendBatch())) break
      }
    } finally {
      clearTimeout(abort)
    }
    if (this.buffer.length > 0) {
      this.counts.dropped += this.buffer.length
      this.options.logger.error(
        { lost: this.buffer.length },
        'audit events could not be delivered before stopping',
      )
      this.buffer = []
    }
  }

  /** Sends now (unless a send is under way). */
  flush(): Promise<void> {
    this.sending ??= this.sendAll().finally(() => {
      this.sending = undefined
    })
    return this.sending
  }

  private schedule(ms: number): void {
    if (this.stopped) return
    this.timer = setTimeout(() => {
      void this.flush().then(() => this.schedule(this.failing ? this.retryMs : this.flushMs))
    }, ms)
    this.timer.unref()
  }

  private async sendAll(): Promise<void> {
    this.takeDiscoveryCounts()
    while (this.buffer.length > 0 && !this.stopped) {
      if (!(await this.sendBatch())) return
    }
  }

  /** Sends the oldest batch; true when the server took it (or refused its content for good). */
  private async sendBatch(): Promise<boolean> {
    const batch = this.buffer.slice(0, this.maxBatch)
    const timeout = AbortSignal.timeout(this.options.sendTimeoutMs ?? 10_000)
    try {
      const result = await this.options.send(batch, AbortSignal.any([timeout, this.inFlight.signal]))
      this.counts.delivered += result.accepted
      this.counts.duplicates += result.duplicates
      this.remove(batch.length)
      if (this.failing) {
        this.options.logger.info({ buffered: this.buffer.length }, 'the server takes audit events again')
      }
      this.failing = false
      this.retryMs = this.flushMs
      return true
    } catch (error) {
      if (error instanceof IngestError && error.rejected) {
        // Only the events the schema refuses are lost; when none does, the batch as a whole was refused.
        const valid = batch.filter((event) => IngestedAuditEvent.safeParse(event).success)
        const lost = valid.length === batch.length ? batch.length : batch.length - valid.length
        this.counts.rejected += lost
        this.remove(batch.length)
        if (lost < batch.length) this.buffer.unshift(...valid)
        this.options.logger.error({ err: error, lost }, 'the server refused audit events')
        return true
      }
      if (!this.failing) {
        this.options.logger.warn(
          { err: error, buffered: this.buffer.length },
          'audit events cannot be delivered; holding them until the server takes them',
        )
      }
      this.failing = true
      this.retryMs = Math.min(this.retryMs * 2, this.maxRetryMs)
      return false
    }
  }

  private remove(count: number): void {
    this.buffer.splice(0, count)
    if (this.droppingSince !== undefined && this.buffer.length < this.options.bufferSize) {
      this.options.logger.warn(
        { dropped: this.counts.dropped - this.droppingSince, droppedTotal: this.counts.dropped },
        'the audit buffer has room again',
      )
      this.droppingSince = undefined
    }
  }

  private takeDiscoveryCounts(): void {
    const until = new Date().toISOString()
    for (const [user, { count, since }] of this.discovery) {
      this.record({
        id: newEventId(),
        occurredAt: since.toISOString(),
        type: 'kube.discovery',
        outcome: 'success',
        actor: { kind: 'user', name: user },
        details: { count, since: since.toISOString(), until },
      })
    }
    this.discovery.clear()
  }
}
