// Streaming through the proxy against a local upstream that speaks the protocols: chunked responses arrive as
// they are written, large bodies and binary (protobuf) bodies pass unchanged both ways, upgrades (a raw
// SPDY-style stream and a WebSocket) carry data both ways, and revoking access closes open streams.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createHash, randomBytes } from 'node:crypto'
import https from 'node:https'
import type { IncomingMessage } from 'node:http'
import { WebSocket, WebSocketServer } from 'ws'
import { AccessList } from '../src/auth/access.js'
import { connectTls, headerValues, signToken, startProxyFixture, type ProxyFixture } from './fake-upstream.js'

let fixture: ProxyFixture
let token: string

beforeAll(async () => {
  fixture = await startProxyFixture()
  token = await signToken(fixture.keys, { name: 'alice', groups: ['devs'] })
})

afterAll(async () => {
  await fixture?.close()
})

function send(
  method: string,
  path: string,
  options: {
    body?: Buffer
    headers?: Record<string, string>
    onResponse?: (response: IncomingMessage) => void
  } = {},
): Promise<{ status: number; body: Buffer; headers: IncomingMessage['headers'] }> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      {
        host: '127.0.0.1',
        port: fixture.port,
        path,
        method,
        ca: fixture.ca,
        servername: 'localhost',
        headers: { authorization: `Bearer ${token}`, ...options.headers },
      },
      (response) => {
        options.onResponse?.(response)
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks),
            headers: response.headers,
          }),
        )
        response.on('error', reject)
      },
    )
    request.on('error', reject)
    request.end(options.body)
  })
}

describe('streaming', () => {
  it('delivers each chunk of a streamed response (watch) as soon as the API server writes it', async () => {
    let writeNext: (() => void) | undefined
    fixture.upstream.handle((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' })
      response.write('{"type":"ADDED"}\n')
      writeNext = () => {
        response.write('{"type":"MODIFIED"}\n')
        response.end()
      }
    })
    const received: string[] = []
    const done = new Promise<void>((resolve, reject) => {
      const request = https.request(
        {
          host: '127.0.0.1',
          port: fixture.port,
          path: '/api/v1/namespaces/web/configmaps?watch=1',
          ca: fixture.ca,
          servername: 'localhost',
          headers: { authorization: `Bearer ${token}` },
        },
        (response) => {
          response.setEncoding('utf8')
          response.on('data', (chunk: string) => {
            received.push(chunk)
            // The second event is only written once the first has arrived through the proxy.
            if (received.length === 1) writeNext?.()
          })
          response.on('end', resolve)
        },
      )
      request.on('error', reject)
      request.end()
    })
    await done
    expect(received.join('')).toBe('{"type":"ADDED"}\n{"type":"MODIFIED"}\n')
    fixture.upstream.handle(undefined)
  })

  it('sends the head of a streamed response before its first event arrives', async () => {
    let finish: (() => void) | undefined
    fixture.upstream.handle((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' })
      response.flushHeaders()
      finish = () => response.end('{"type":"ADDED"}\n')
    })
    const response = await send('GET', '/api/v1/namespaces/web/pods?watch=1', {
      // The event is only written once kubectl has seen the head, as a quiet watch would.
      onResponse: () => finish?.(),
    })
    expect(response.status).toBe(200)
    expect(response.body.toString()).toBe('{"type":"ADDED"}\n')
    fixture.upstream.handle(undefined)
  })

  it('sends a small answer in one TLS record, head and body together', async () => {
    fixture.upstream.handle((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' })
      response.end('{"kind":"NamespaceList","items":[]}')
    })
    const socket = connectTls(fixture)
    const reads: string[] = []
    await new Promise<void>((resolve, reject) => {
      socket.on('secureConnect', () =>
        socket.write(
          `GET /api/v1/namespaces HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\n\r\n`,
        ),
      )
      socket.on('data', (chunk: Buffer) => {
        reads.push(chunk.toString())
        if (reads.join('').endsWith('0\r\n\r\n')) resolve()
      })
      socket.on('error', reject)
    })
    socket.destroy()
    expect(reads).toHaveLength(1)
    expect(reads[0]).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*NamespaceList/)
    fixture.upstream.handle(undefined)
  })

  it('passes binary (protobuf) request and response bodies through byte for byte', async () => {
    const protobuf = Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), randomBytes(4096)])
    fixture.upstream.handle((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        const body = Buffer.concat(chunks)
        response.writeHead(201, { 'content-type': 'application/vnd.kubernetes.protobuf' })
        response.end(body)
      })
    })
    const response = await send('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      body: protobuf,
      headers: {
        'content-type': 'application/vnd.kubernetes.protobuf',
        accept: 'application/vnd.kubernetes.protobuf, */*',
      },
    })
    expect(response.status).toBe(201)
    expect(response.headers['content-type']).toBe('application/vnd.kubernetes.protobuf')
    expect(response.body.equals(protobuf)).toBe(true)
    fixture.upstream.handle(undefined)
  })

  it('streams large bodies both ways unchanged', async () => {
    const size = 24 * 1024 * 1024
    const upload = randomBytes(size)
    let uploadedHash = ''
    fixture.upstream.handle((request, response) => {
      const hash = createHash('sha256')
      request.on('data', (chunk: Buffer) => hash.update(chunk))
      request.on('end', () => {
        uploadedHash = hash.digest('hex')
        response.writeHead(200, { 'content-type': 'application/octet-stream' })
        // Written in pieces, as a large list would be.
        let sent = 0
        const writeMore = () => {
          while (sent < size) {
            const piece = upload.subarray(sent, sent + 256 * 1024)
            sent += piece.length
            if (!response.write(piece)) return response.once('drain', writeMore)
          }
          response.end()
        }
        writeMore()
      })
    })
    const response = await send('PUT', '/api/v1/namespaces/web/configmaps/big', { body: upload })
    expect(uploadedHash).toBe(createHash('sha256').update(upload).digest('hex'))
    expect(response.body.length).toBe(size)
    expect(response.body.equals(upload)).toBe(true)
    fixture.upstream.handle(undefined)
  })
})

describe('upgrades', () => {
  it('switches protocols (SPDY/3.1, as kubectl exec and port-forward use) and carries data both ways', async () => {
    const socket = connectTls(fixture)
    await new Promise((resolve) => socket.once('secureConnect', resolve))
    socket.write(
      [
        'POST /api/v1/namespaces/web/pods/p/exec?command=sh&stdin=true HTTP/1.1',
        'Host: localhost',
        `Authorization: Bearer ${token}`,
        'Connection: Upgrade',
        'Upgrade: SPDY/3.1',
        'X-Stream-Protocol-Version: v4.channel.k8s.io',
        '',
        'early-bytes',
      ].join('\r\n'),
    )
    let received = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => (received += chunk))
    const waitFor = async (text: string) => {
      for (let i = 0; i < 200 && !received.includes(text); i++) await new Promise((r) => setTimeout(r, 10))
      expect(received).toContain(text)
    }
    await waitFor('HTTP/1.1 101')
    expect(received).toMatch(/\r\nupgrade: SPDY\/3.1/i)
    // Bytes sent right after the request head, and later ones, come back through the upstream's echo.
    await waitFor('early-bytes')
    for (const message of ['ping-1', 'ping-2', 'x'.repeat(100_000)]) {
      socket.write(message)
      await waitFor(message)
    }
    const upgrade = fixture.upstream.requests.at(-1)!
    expect(headerValues(upgrade.rawHeaders, 'impersonate-user')).toEqual(['alice'])
    expect(headerValues(upgrade.rawHeaders, 'upgrade')).toEqual(['SPDY/3.1'])
    expect(headerValues(upgrade.rawHeaders, 'x-stream-protocol-version')).toEqual(['v4.channel.k8s.io'])
    socket.destroy()
  })

  it('passes WebSocket upgrades (kubectl exec over websockets) with their subprotocol', async () => {
    const wss = new WebSocketServer({ noServer: true })
    fixture.upstream.handleUpgrade((request, socket, head) =>
      wss.handleUpgrade(request, socket, head, (ws) =>
        ws.on('message', (data, binary) => ws.send(data, { binary })),
      ),
    )
    const ws = new WebSocket(
      `wss://127.0.0.1:${fixture.port}/api/v1/namespaces/web/pods/p/exec?command=sh`,
      ['v5.channel.k8s.io', 'v4.channel.k8s.io'],
      { ca: fixture.ca, headers: { authorization: `Bearer ${token}` } },
    )
    await new Promise((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('error', reject)
    })
    expect(ws.protocol).toBe('v5.channel.k8s.io')
    const echoes: Buffer[] = []
    ws.on('message', (data) => echoes.push(data as Buffer))
    const payload = Buffer.concat([Buffer.from([0]), randomBytes(70_000)])
    ws.send(payload)
    ws.send(Buffer.from([1, 104, 105]))
    for (let i = 0; i < 200 && echoes.length < 2; i++) await new Promise((r) => setTimeout(r, 10))
    expect(echoes[0]?.equals(payload)).toBe(true)
    expect(echoes[1]?.equals(Buffer.from([1, 104, 105]))).toBe(true)
    ws.close()
    fixture.upstream.handleUpgrade(undefined)
    wss.close()
  })

  it('passes an upgrade refused by the API server back as an ordinary answer', async () => {
    fixture.upstream.handleUpgrade((_request, socket) => {
      const body = JSON.stringify({ kind: 'Status', code: 403, message: 'pods "p" is forbidden' })
      socket.end(
        `HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      )
    })
    const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const socket = connectTls(fixture)
      let text = ''
      socket.on('secureConnect', () =>
        socket.write(
          `POST /api/v1/namespaces/web/pods/p/portforward HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n`,
        ),
      )
      socket.setEncoding('utf8')
      socket.on('data', (chunk: string) => (text += chunk))
      socket.on('close', () =>
        resolve({ status: Number(text.slice(9, 12)), body: text.slice(text.indexOf('\r\n\r\n') + 4) }),
      )
      socket.on('error', reject)
    })
    expect(response.status).toBe(403)
    expect(JSON.parse(response.body).message).toBe('pods "p" is forbidden')
    fixture.upstream.handleUpgrade(undefined)
  })
})

describe('revocation', () => {
  it('closes open upgraded streams and watches of a user whose grants are removed', async () => {
    // An open exec-like stream…
    const socket = connectTls(fixture)
    await new Promise((resolve) => socket.once('secureConnect', resolve))
    socket.write(
      `POST /api/v1/namespaces/web/pods/p/exec HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n`,
    )
    await new Promise((resolve) => socket.once('data', resolve))
    const streamClosed = new Promise((resolve) => socket.once('close', resolve))
    // …and an open watch.
    fixture.upstream.handle((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.write('{"type":"ADDED"}\n')
    })
    const watchClosed = new Promise<void>((resolve) => {
      const request = https.request(
        {
          host: '127.0.0.1',
          port: fixture.port,
          path: '/api/v1/configmaps?watch=1',
          ca: fixture.ca,
          servername: 'localhost',
          headers: { authorization: `Bearer ${token}` },
        },
        (response) => {
          response.on('data', () => undefined)
          response.on('close', () => resolve())
          response.on('error', () => resolve())
        },
      )
      request.on('error', () => resolve())
      request.end()
    })
    for (let i = 0; i < 100 && fixture.proxy.openStreams < 2; i++) await new Promise((r) => setTimeout(r, 10))
    expect(fixture.proxy.openStreams).toBe(2)

    // Bob's access changes nothing for alice; removing alice's closes both.
    fixture.setAccess(new AccessList(new Set(['alice', 'bob']), new Set()))
    expect(fixture.proxy.openStreams).toBe(2)
    fixture.setAccess(new AccessList(new Set(['bob']), new Set()))
    await Promise.all([streamClosed, watchClosed])
    expect(fixture.proxy.openStreams).toBe(0)
    fixture.upstream.handle(undefined)

    // And the next request is refused.
    const response = await send('GET', '/api/v1/pods')
    expect(response.status).toBe(403)
    fixture.setAccess(new AccessList(new Set(['alice', 'bob', 'ünïcödé']), new Set(['devs'])))
  })
})
