import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { connect, createServer, type AddressInfo, type Server } from 'node:net'
import { TcpProxy } from '../src/tcp-proxy.js'

let echo: Server
let proxy: TcpProxy

/** Sends `text` through the proxy; resolves to what came back, or to the error code of the connection. */
function roundTrip(text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(proxy.port, '127.0.0.1')
    socket.setEncoding('utf8')
    socket.once('data', (data: string) => {
      socket.end()
      resolve(data)
    })
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'))
    socket.once('close', () => resolve('closed'))
    socket.write(text)
  })
}

beforeAll(async () => {
  echo = createServer((socket) => socket.on('error', () => socket.destroy()).pipe(socket))
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve))
  proxy = await TcpProxy.start((echo.address() as AddressInfo).port)
})

afterAll(async () => {
  await proxy.close()
  await new Promise((resolve) => echo.close(resolve))
})

describe('TcpProxy', () => {
  it('forwards, resets open and new connections while cut, and forwards again once restored', async () => {
    expect(await roundTrip('hello')).toBe('hello')

    const open = connect(proxy.port, '127.0.0.1')
    const reset = new Promise((resolve) =>
      open.once('error', (error: NodeJS.ErrnoException) => resolve(error.code)),
    )
    await new Promise((resolve) => open.once('connect', resolve))
    proxy.cut()
    expect(await reset).toBe('ECONNRESET')
    expect(await roundTrip('while cut')).toBe('ECONNRESET')

    proxy.restore()
    expect(await roundTrip('again')).toBe('again')
  })
})
