import { backoffDelay, type Backoff } from './backoff.js'

export interface CoalescingTaskOptions {
  /** One run of the work; a rejection is a failed run. */
  run(): Promise<void>
  /**
   * Told about every failed run, with the wait before it is tried again (undefined when it is not retried:
   * no `retry`, or the task is stopped).
   */
  onError(error: unknown, retryInMs: number | undefined): void
  /** Retries failed runs after a growing wait; without it a failed run waits for the next request. */
  retry?: Backoff
}

/**
 * Work that is run on request, never twice at once: a request while a run is in progress makes one more run
 * after it (however many requests came meanwhile), and a failed run is tried again after a backoff unless a
 * request comes first.
 */
export class CoalescingTask {
  private running: Promise<void> | undefined
  private again = false
  private failures = 0
  private retryTimer: NodeJS.Timeout | undefined
  private stopped = false

  constructor(private readonly options: CoalescingTaskOptions) {}

  /** Runs now, or once more after the run in progress. */
  request(): void {
    if (this.stopped) return
    if (this.running) {
      this.again = true
      return
    }
    this.cancelRetry()
    this.running = this.runWhileAsked()
  }

  /** Resolves once no run is in progress (a retry may still be scheduled). */
  async idle(): Promise<void> {
    while (this.running) await this.running
  }

  /** Ends the task: no further runs or retries. A run in progress finishes on its own (`idle()` waits for it). */
  stop(): void {
    this.stopped = true
    this.cancelRetry()
  }

  private async runWhileAsked(): Promise<void> {
    do {
      this.again = false
      try {
        await this.options.run()
        this.failures = 0
      } catch (error) {
        this.failures++
        const retryInMs =
          this.options.retry && !this.stopped ? backoffDelay(this.options.retry, this.failures) : undefined
        this.options.onError(error, retryInMs)
        if (retryInMs !== undefined && !this.again) this.scheduleRetry(retryInMs)
      }
    } while (this.again && !this.stopped)
    // Cleared in the same step as the last check of `again`, so a request either sees this loop running or
    // starts a new one.
    this.running = undefined
  }

  private scheduleRetry(delayMs: number): void {
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      this.request()
    }, delayMs)
    this.retryTimer.unref()
  }

  private cancelRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = undefined
  }
}
