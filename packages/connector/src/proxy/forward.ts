import type { ServerResponse } from 'node:http'
import type { Dispatcher } from 'undici'
import { StatusReader } from '../audit/status-reader.js'
import { upstreamResponseHeaders } from './headers.js'

/**
 * Streams one answer of the API server straight into the client's response, with undici's dispatch API
 * rather than its body streams: the proxy's hot path is its CPU cost, and a stream plus a pipe per request
 * is a good part of it. Backpressure holds: the upstream pauses while the client is not reading.
 *
 * The head and the body are held back until the bytes already received are written, so that a small answer
 * leaves in one TLS record and one write, not three (head, body, end of chunks): each costs a syscall here
 * and a read for the client. A streamed answer (watch, logs -f) whose first event is not there yet still
 * gets its head at once.
 */
export class Forwarding implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined
  private cancelled: Error | undefined
  private bodyStarted = false
  private status: StatusReader | undefined
  /** Body bytes of the answer passed to the client so far. */
  bytes = 0

  constructor(
    private readonly response: ServerResponse,
    /** The API server failed before answering: nothing has been sent to the client yet. */
    private readonly onUnanswered: (error: Error) => void,
  ) {}

  /** Stops the upstream request, whatever state it is in. */
  cancel(reason: Error): void {
    this.cancelled = reason
    this.controller?.abort(reason)
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller
    if (this.cancelled) controller.abort(this.cancelled)
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    // Informational answers (100 Continue) were for the upstream request; the client got its own.
    if (statusCode < 200) return
    this.status = StatusReader.of(statusCode, headers['content-type'])
    const response = this.response
    response.writeHead(statusCode, upstreamResponseHeaders(headers))
    response.cork()
    setImmediate(() => {
      if (!this.bodyStarted && !response.writableEnded) response.flushHeaders()
      response.uncork()
    })
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.bodyStarted = true
    this.bytes += chunk.length
    this.status?.observe(chunk)
    if (!this.response.write(chunk)) {
      controller.pause()
      this.response.once('drain', () => controller.resume())
    }
  }

  /** The `reason` and `message` of the API server's `Status`, when it refused the request. */
  apiStatus(): { reason?: string; message?: string } {
    return this.status?.status() ?? {}
  }

  onResponseEnd(): void {
    this.response.end()
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.response.headersSent) this.response.destroy()
    else this.onUnanswered(error)
  }
}
