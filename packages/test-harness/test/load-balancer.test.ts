import { afterAll, describe, expect, it } from '@jest/globals'
import { createServer, type Server } from 'node:http'
import { startTcpLoadBalancer, type TcpLoadBalancer } from '../src/index.js'

const backends: Server[] = []
let balancer: TcpLoadBalancer | undefined
afterAll(async () => {
  await balancer?.close()
  for (const backend of backends) backend.close()
})

async function backend(name: string): Promise<{ host: string; port: number }> {
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
    balancer = await startTcpLoadBalancer([first, second])
    const answers = [await ask(balancer.port), await ask(balancer.port), await ask(balancer.port)]
    expect(answers.sort()).toEqual(['first', 'first', 'second'])

    await new Promise((resolve) => backends[0]?.close(resolve))
    expect([await ask(balancer.port), await ask(balancer.port)]).toEqual(['second', 'second'])
  })
})
