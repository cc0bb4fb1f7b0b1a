import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type Responder = (req: IncomingMessage, res: ServerResponse, body: string) => void

export interface StubServer {
  url: string
  /** Every request received, in order. */
  requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[]
  close(): Promise<void>
}

/** Answers JSON with a status and optional headers. */
export const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Responder =>
  (_req, res) => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers })
    res.end(body === undefined ? undefined : JSON.stringify(body))
  }

/** Drops the connection without an answer, as a crashing server or a reset does. */
export const reset: Responder = (req) => req.socket.destroy()

/** Never answers (until the server closes). */
export const hang: Responder = () => undefined

/**
 * A local HTTP server answering each request with the next responder in `script`
 * (the last one repeats), to play failures a real server will not produce on demand.
 */
export async function startStubServer(
  script: Responder[] | ((index: number) => Responder),
): Promise<StubServer> {
  const requests: StubServer['requests'] = []
  const server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (body += chunk))
    req.on('end', () => {
      const index = requests.length
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      const responder =
        typeof script === 'function'
          ? script(index)
          : (script[Math.min(index, script.length - 1)] as Responder)
      responder(req, res, body)
    })
  })
  server.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
