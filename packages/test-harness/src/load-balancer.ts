import { createConnection, createServer, type Socket } from 'node:net'

export interface Backend {
  host: string
  port: number
}

export interface TcpLoadBalancer {
  /** The port it listens on, on 127.0.0.1. */
  port: number
  /** How many connections are open to each backend now, in the order of `backends`. */
  openConnections(): number[]
  /** A network partition: resets every open connection and, until `restore`, every new one. */
  cut(): void
  restore(): void
  close(): Promise<void>
}

/**
 * A TCP load balancer on loopback, as one in front of server replicas (or, with one backend, a forwarder a test
 * can cut): each connection goes to the next backend round-robin, or on to the one after when that one refuses
 * it, so a dead backend gets no new connections. Bytes pass untouched (TLS included); when one side of a
 * connection closes or fails, the other is closed too.
 */
export async function startTcpLoadBalancer(backends: readonly Backend[]): Promise<TcpLoadBalancer> {
  const open = backends.map(() => new Set<Socket>())
  const clients = new Set<Socket>()
  let next = 0
  let isCut = false

  const forward = (client: Socket, first: number, attempt: number) => {
    const index = (first + attempt) % backends.length
    const backend = backends[index]
    if (attempt >= backends.length || !backend || client.destroyed) {
      client.destroy()
      return
    }
    const upstream = createConnection({ ...backend, noDelay: true })
    const refused = () => forward(client, first, attempt + 1)
    upstream.once('error', refused)
    upstream.once('connect', () => {
      upstream.removeListener('error', refused)
      if (client.destroyed) {
        upstream.destroy()
        return
      }
      open[index]?.add(upstream)
      upstream.once('close', () => {
        open[index]?.delete(upstream)
        client.destroy()
      })
      upstream.on('error', () => client.destroy())
      client.once('close', () => upstream.destroy())
      client.pipe(upstream)
      upstream.pipe(client)
    })
  }

  const server = createServer({ noDelay: true }, (client) => {
    if (isCut) {
      client.resetAndDestroy()
      return
    }
    clients.add(client)
    client.once('close', () => clients.delete(client))
    client.on('error', () => client.destroy())
    forward(client, next++ % backends.length, 0)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const cut = () => {
    isCut = true
    for (const client of clients) client.resetAndDestroy()
  }
  return {
    port: (server.address() as { port: number }).port,
    openConnections: () => open.map((sockets) => sockets.size),
    cut,
    restore: () => {
      isCut = false
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      cut()
      await closed
    },
  }
}
