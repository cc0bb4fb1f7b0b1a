/** The most of an error answer's body read for its `Status`: a Status is small; anything longer is not one. */
const MAX_STATUS_BYTES = 8 * 1024

/**
 * Reads the Kubernetes `Status` of a failed answer from the bytes passing through, for the audit event (its
 * `reason` and `message`, nothing else of the body is kept). Only JSON answers of 400 and more are read;
 * success bodies are never copied.
 */
export class StatusReader {
  private chunks: Buffer[] | undefined = []
  private size = 0

  private constructor() {}

  /** A reader for an answer of `status` and `contentType`, when it may carry a Status worth reading. */
  static of(status: number, contentType: string | string[] | undefined): StatusReader | undefined {
    const type = Array.isArray(contentType) ? contentType[0] : contentType
    return status >= 400 && type?.toLowerCase().startsWith('application/json')
      ? new StatusReader()
      : undefined
  }

  observe(chunk: Buffer): void {
    if (!this.chunks) return
    if (this.size + chunk.length > MAX_STATUS_BYTES) {
      this.chunks = undefined
      return
    }
    this.chunks.push(chunk)
    this.size += chunk.length
  }

  /** The Status's `reason` and `message`, when the body was one. */
  status(): { reason?: string; message?: string } {
    if (!this.chunks) return {}
    try {
      const body = JSON.parse(Buffer.concat(this.chunks).toString('utf8')) as unknown
      if (typeof body !== 'object' || body === null) return {}
      const { kind, reason, message } = body as Record<string, unknown>
      if (kind !== 'Status') return {}
      return {
        ...(typeof reason === 'string' && reason !== '' ? { reason } : {}),
        ...(typeof message === 'string' && message !== '' ? { message } : {}),
      }
    } catch {
      return {}
    }
  }
}
