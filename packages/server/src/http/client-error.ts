import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import { ApiError } from './errors.js'

/**
 * The request line and headers together. Node's default (16 KiB) is less than a list filter the API accepts
 * can take, e.g. `GET /api/users` with 1000 `ids` and a name.
 */
export const MAX_HEADER_BYTES = 64 * 1024

/**
 * Node's HTTP parser refuses some requests before Express sees them (a request line and headers over
 * MAX_HEADER_BYTES, malformed HTTP); this answers those as Node would, but in the documented error body.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy()
    return
  }
  const [status, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, `the request line and headers are larger than ${MAX_HEADER_BYTES} bytes`]
      : error.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW'
        ? [413, 'the request body has chunk extensions that are too large']
        : [400, 'the request is not valid HTTP']
  const body = JSON.stringify(new ApiError(status, message).toBody())
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}
