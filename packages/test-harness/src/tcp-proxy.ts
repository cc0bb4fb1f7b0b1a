// A network partition on loopback: a TCP forwarder between a client and a server that a test can cut and
// restore, e.g. between a connector and the Infra server.
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net'

export class TcpProxy {
  private readonly open = new Set<Socket>()
  private isCut = false

  private constructor(
    private readonly server: Server,
    /** The port it listens on, on 127.0.0.1. */
    readonly port: number,
  ) {}

  /** Forwards every connection to 127.0.0.1:`targetPort`, until cut. */
  static async start(targetPort: number): Promise<TcpProxy> {
    const server = createServer({ noDelay: true })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', resolve)
    })
    const proxy = new TcpProxy(server, (server.address() as AddressInfo).port)
    server.on('connection', (client) => proxy.forward(client, targetPort))
    return proxy
  }

  /** Resets every open connection and, until `restore`, every new one: the client sees the server gone. */
  cut(): void {
    this.isCut = true
    for (const socket of this.open) socket.resetAndDestroy()
    this.open.clear()
  }

  restore(): void {
    this.isCut = false
  }

  async close(): Promise<void> {
    this.cut()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private forward(client: Socket, targetPort: number): void {
    if (this.isCut) {
      client.resetAndDestroy()
      return
    }
    const upstream = connect({ host: '127.0.0.1', port: targetPort, noDelay: true })
    for (const [socket, other] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.open.add(socket)
      socket.on('error', () => other.destroy())
      socket.on('close', () => {
        this.open.delete(socket)
        other.destroy()
      })
    }
    client.pipe(upstream)
    upstream.pipe(client)
  }
}
