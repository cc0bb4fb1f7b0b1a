import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { formatHost, parseListen } from '../config.js'

/**
 * Plain HTTP `/healthz` and `/livez` (the process is up), `/readyz` (`isReady`) and, given `metrics`,
 * `/metrics` (Prometheus text).
 */
export class HealthServer {
  private constructor(
    private readonly server: http.Server,
    /** http://host:port of the endpoints. */
    readonly url: string,
  ) {}

  /** Listens on `listen` (`host:port` or `:port`). */
  static async start(listen: string, isReady: () => boolean, metrics?: () => string): Promise<HealthServer> {
    const address = parseListen(listen)
    const server = http.createServer((request, response) => {
      const path = (request.url ?? '').split('?', 1)[0]
      if (path === '/healthz' || path === '/livez') {
        response.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
      } else if (path === '/readyz') {
        const ready = isReady()
        response
          .writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' })
          .end(ready ? 'ok' : 'not ready')
      } else if (path === '/metrics' && metrics) {
        response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metrics())
      } else {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
      }
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(address.port, address.host || undefined, () => resolve())
    })
    const { port } = server.address() as AddressInfo
    return new HealthServer(server, `http://${formatHost(address.host || '127.0.0.1')}:${port}`)
  }

  /** Lets idle keep-alive connections go, so that stopping does not wait for them. */
  closeIdleConnections(): void {
    this.server.closeIdleConnections()
  }

  stop(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.server.close(() => resolve())
      this.server.closeAllConnections()
    })
  }
}
