import type { Logger } from '../http/logger.js'
import { isDatabaseUnreachable } from './errors.js'

/** Where background work (key usage, rate limits, key rotation, notifications) reports a failed step. */
export interface FailureLog {
  failed(error: unknown, message: string, fields?: Record<string, unknown>): void
}

export interface AvailabilityOptions {
  /** Resolves when the database answers a trivial query. */
  probe: () => Promise<unknown>
  /** How often the database is probed while it is unreachable, to notice (and log) its return. */
  probeIntervalMs?: number
  /** How long readiness waits for the database to answer. */
  readinessTimeoutMs?: number
}

/**
 * Whether the database can be reached, as requests and background work find out. An outage is logged once
 * when it begins and once when it ends, however many requests fail in between. Requests are never held back
 * by this state: each still tries the database, so the server recovers as soon as the pool reconnects.
 */
export class DatabaseAvailability implements FailureLog {
  private unreachableSince: number | undefined
  private probeTimer: NodeJS.Timeout | undefined
  private stopped = false
  private readonly probeIntervalMs: number
  private readonly readinessTimeoutMs: number

  constructor(
    private readonly logger: Logger,
    private readonly options: AvailabilityOptions,
  ) {
    this.probeIntervalMs = options.probeIntervalMs ?? 100
    this.readinessTimeoutMs = options.readinessTimeoutMs ?? 2_000
  }

  get reachable(): boolean {
    return this.unreachableSince === undefined
  }

  /** Notes a failure; true when it was the database being unreachable (then logged here, once per outage). */
  noteFailure(error: unknown): boolean {
    if (!isDatabaseUnreachable(error)) return false
    if (this.unreachableSince === undefined) {
      this.unreachableSince = Date.now()
      this.logger.error({ err: error }, 'the database is unreachable; answering 503 until it is back')
      this.scheduleProbe()
    }
    return true
  }

  /**
   * Whether the database being gone explains an error: one that says so, or any other while the database does
   * not answer now, since some failures do not say it (a transaction whose connection died under it reports the
   * transaction, not the connection).
   */
  async explains(error: unknown): Promise<boolean> {
    if (this.noteFailure(error)) return true
    return !this.reachable || !(await this.ready())
  }

  failed(error: unknown, message: string, fields: Record<string, unknown> = {}): void {
    if (!this.noteFailure(error)) this.logger.warn({ ...fields, err: error }, message)
  }

  /** Readiness: asks the database now, so that the answer does not lag behind the last failure or probe. */
  async ready(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(Object.assign(new Error('the database did not answer'), { code: 'ETIMEDOUT' })),
        this.readinessTimeoutMs,
      )
    })
    try {
      await Promise.race([this.options.probe(), timeout])
      this.noteReachable()
      return true
    } catch (error) {
      this.noteFailure(error)
      return false
    } finally {
      clearTimeout(timer)
    }
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.probeTimer)
  }

  private noteReachable(): void {
    if (this.unreachableSince === undefined) return
    const downMs = Date.now() - this.unreachableSince
    this.unreachableSince = undefined
    clearTimeout(this.probeTimer)
    this.logger.info({ downMs }, 'the database is reachable again')
  }

  private scheduleProbe(): void {
    if (this.stopped) return
    this.probeTimer = setTimeout(() => {
      this.options.probe().then(
        () => this.noteReachable(),
        () => {
          if (!this.reachable) this.scheduleProbe()
        },
      )
    }, this.probeIntervalMs)
    this.probeTimer.unref()
  }
}
