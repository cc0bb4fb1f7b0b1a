import { afterAll, describe, expect, it } from '@jest/globals'
import { createServer, type Server } from 'node:http'
import { connect } from 'node:net'
import { startTcpLoadBalancer, type Backend, type TcpLoadBalancer } from '../src/index.js'

const backends: Server[] = []
const balancers: TcpLoadBalancer[] = []
afterAll(async () => {
  await Promise.all(balancers.map((balancer) => balancer.close()))
  for (const backend of backends) backend.close()
})

async function balance(...to: Backend[]): Promise<TcpLoadBalancer> {
  const balancer = await startTcpLoadBalancer(to)
  balancers.push(balancer)
  return balancer
}

async function backend(name: string): Promise<Backend> {
  const server = createServer((_, response) => response.end(name))
  backends.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { host: '127.0.0.1', port: (server.address() as { port: number }).port }
}

/** One request on a connection of its own, as a new client would make. */
async function ask(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/`, { headers: { Connection: 'close' } })
  return response.text()
}

describe('startTcpLoadBalancer', () => {
  it('spreads connections round-robin and passes over a backend that is gone', async () => {
    const [first, second] = [await backend('first'), await backend('second')]
    const balancer = await balance(first, second)
    const answers = [await ask(balancer.port), await ask(balancer.port), await ask(balancer.port)]
    expect(answers.sort()).toEqual(['first', 'first', 'second'])

    await new Promise((resolve) => backends[0]?.close(resolve))
    expect([await ask(balancer.port), await ask(balancer.port)]).toEqual(['second', 'second'])
  })

  it('resets open and new connections while cut, and forwards again once restored', async () => {
    const balancer = await balance(await backend('only'))
    const port = balancer.port
    expect(await ask(port)).toBe('only')

    const open = connect(port, '127.0.0.1')
    const reset = new Promise((resolve) =>
      open.once('error', (error: NodeJS.ErrnoException) => resolve(error.code)),
    )
    await new Promise((resolve) => open.once('connect', resolve))
    balancer.cut()
    expect(await reset).toBe('ECONNRESET')
    await expect(ask(port)).rejects.toThrow()

    balancer.restore()
    expect(await ask(port)).toBe('only')
  })
})
