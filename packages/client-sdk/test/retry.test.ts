import { afterEach, describe, expect, it } from '@jest/globals'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import {
  InfraApiError,
  InfraClient,
  InfraError,
  InfraNetworkError,
  InfraTimeoutError,
  type InfraClientOptions,
} from '../src/node.js'
import { hang, json, reset, startStubServer, type Responder, type StubServer } from './stub-server.js'

const VERSION = { version: '0.17.0' }
const USER = {
  id: '4yJ3n3D8E2',
  name: 'alice',
  created: '2024-01-01T00:00:00Z',
  updated: '2024-01-01T00:00:00Z',
  providerNames: ['infra'],
}
const DESTINATION = {
  id: '4yJ3n3D8E2',
  name: 'prod',
  uniqueID: 'u',
  kind: 'kubernetes',
  version: '',
  connection: { url: '', ca: '' },
  resources: [],
  roles: [],
  connected: false,
  created: '2024-01-01T00:00:00Z',
  updated: '2024-01-01T00:00:00Z',
}
const unavailable = json(503, { code: 503, message: 'the server is restarting' })
const noContent: Responder = (_req, res) => res.writeHead(204).end()

let stub: StubServer | undefined
afterEach(async () => {
  await stub?.close()
  stub = undefined
})

async function clientFor(script: Responder[], options: Partial<InfraClientOptions> = {}) {
  stub = await startStubServer(script)
  const client = new InfraClient({
    server: stub.url,
    accessKey: 'aaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbb',
    retry: { initialDelayMs: 5 },
    ...options,
  })
  return { client, requests: stub.requests }
}

async function thrown(action: () => PromiseLike<unknown>): Promise<unknown> {
  try {
    await action()
  } catch (error) {
    return error
  }
  throw new Error('expected an error')
}

describe('idempotent requests', () => {
  it('retry a 503 and succeed', async () => {
    const { client, requests } = await clientFor([unavailable, json(200, VERSION)])
    expect(await client.version()).toEqual(VERSION)
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /api/version', 'GET /api/version'])
  })

  it.each([429, 502, 504])('retry a %i', async (status) => {
    const { client, requests } = await clientFor([
      json(status, { code: status, message: 'later' }),
      json(200, VERSION),
    ])
    expect(await client.version()).toEqual(VERSION)
    expect(requests).toHaveLength(2)
  })

  it('retry PUT and DELETE as well', async () => {
    const put = await clientFor([unavailable, json(200, DESTINATION)])
    const body = { name: 'prod', uniqueID: 'u' }
    expect(await put.client.destinations.update(DESTINATION.id, body)).toEqual(DESTINATION)
    expect(put.requests.map((r) => r.method)).toEqual(['PUT', 'PUT'])
    expect(put.requests.map((r) => JSON.parse(r.body))).toEqual([body, body])
    await stub?.close()

    const del = await clientFor([unavailable, noContent])
    await expect(del.client.users.delete(USER.id)).resolves.toBeUndefined()
    expect(del.requests.map((r) => r.method)).toEqual(['DELETE', 'DELETE'])
  })

  it('honour Retry-After', async () => {
    const { client, requests } = await clientFor([
      json(503, { code: 503, message: 'later' }, { 'Retry-After': '1' }),
      json(200, VERSION),
    ])
    const started = Date.now()
    expect(await client.version()).toEqual(VERSION)
    expect(Date.now() - started).toBeGreaterThanOrEqual(950)
    expect(requests).toHaveLength(2)
  })

  it('do not wait for a Retry-After beyond maxRetryAfterMs', async () => {
    const { client, requests } = await clientFor(
      [json(429, { code: 429, message: 'slow down' }, { 'Retry-After': '120' }), json(200, VERSION)],
      { retry: { initialDelayMs: 5, maxRetryAfterMs: 10_000 } },
    )
    const error = await thrown(() => client.version())
    expect(error).toBeInstanceOf(InfraApiError)
    expect((error as InfraApiError).isRateLimited()).toBe(true)
    expect((error as InfraApiError).retryAfterMs).toBe(120_000)
    expect(requests).toHaveLength(1)
  })

  it('retry a reset connection', async () => {
    const { client, requests } = await clientFor([reset, json(200, USER)])
    expect(await client.users.get('self')).toEqual(USER)
    expect(requests).toHaveLength(2)
  })

  it('give up after the retry limit with the last error', async () => {
    const { client, requests } = await clientFor([unavailable], { retry: { limit: 3, initialDelayMs: 1 } })
    const error = await thrown(() => client.version())
    expect(error).toBeInstanceOf(InfraApiError)
    expect((error as InfraApiError).status).toBe(503)
    expect((error as InfraApiError).message).toBe('the server is restarting')
    expect(requests).toHaveLength(4)
  })

  it('are not retried on client errors', async () => {
    const { client, requests } = await clientFor([json(404, { code: 404, message: 'user not found' })])
    const error = await thrown(() => client.users.get(USER.id))
    expect((error as InfraApiError).isNotFound()).toBe(true)
    expect(requests).toHaveLength(1)
  })

  it('can have retrying turned off per call', async () => {
    const { client, requests } = await clientFor([unavailable, json(200, VERSION)])
    expect(await thrown(() => client.version({ retry: 0 }))).toBeInstanceOf(InfraApiError)
    expect(requests).toHaveLength(1)
  })
})

describe('retries', () => {
  it('stop once maxTotalMs has passed, however many the limit allows', async () => {
    const { client, requests } = await clientFor([unavailable], {
      retry: { limit: 50, initialDelayMs: 40, maxDelayMs: 40, maxTotalMs: 200 },
    })
    const started = Date.now()
    expect(((await thrown(() => client.version())) as InfraApiError).status).toBe(503)
    expect(Date.now() - started).toBeLessThan(1_000)
    expect(requests.length).toBeGreaterThan(1)
    expect(requests.length).toBeLessThan(10)
  })

  it('are told to onRetry, with the error the server gave', async () => {
    const database = json(
      503,
      { code: 503, message: 'the server cannot reach its database' },
      { 'Retry-After': '0' },
    )
    const seen: string[] = []
    const { client } = await clientFor([database, reset, json(200, VERSION)], {
      onRetry: (error, { attempt }) => seen.push(`${attempt} ${error.name}: ${error.message}`),
    })
    expect(await client.version()).toEqual(VERSION)
    expect(seen).toEqual([
      '1 InfraApiError: the server cannot reach its database',
      expect.stringMatching(/^2 InfraNetworkError: GET .*\/api\/version failed: no answer/),
    ])
  })
})

describe('POST routes declared safe to retry', () => {
  it('are retried on a 503 and a reset connection: POST /api/tokens', async () => {
    const token = { token: 'header.payload.signature', expires: '2030-01-01T00:00:00Z' }
    const { client, requests } = await clientFor([unavailable, reset, json(201, token)])
    expect(await client.createToken('dev')).toEqual(token)
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(Array(3).fill('POST /api/tokens'))
  })
})

describe('POST and PATCH', () => {
  it('are never retried on a 503', async () => {
    const { client, requests } = await clientFor([unavailable, json(201, { id: USER.id, name: 'alice' })])
    const error = await thrown(() => client.users.create({ name: 'alice' }))
    expect(error).toBeInstanceOf(InfraApiError)
    expect((error as InfraApiError).status).toBe(503)
    expect(requests.map((r) => r.method)).toEqual(['POST'])
  })

  it('are never retried on a reset connection', async () => {
    const { client, requests } = await clientFor([reset, noContent])
    const error = await thrown(() => client.grants.patch({ grantsToAdd: [] }))
    expect(error).toBeInstanceOf(InfraNetworkError)
    expect(requests.map((r) => r.method)).toEqual(['PATCH'])
  })

  it('are not retried on a 429 either', async () => {
    const { client, requests } = await clientFor([
      json(429, { code: 429, message: 'slow down' }, { 'Retry-After': '0' }),
      json(201, { id: USER.id, name: 'alice' }),
    ])
    expect(
      ((await thrown(() => client.users.create({ name: 'alice' }))) as InfraApiError).isRateLimited(),
    ).toBe(true)
    expect(requests).toHaveLength(1)
  })
})

describe('failures without an answer', () => {
  it('raise InfraTimeoutError after the timeout', async () => {
    const { client, requests } = await clientFor([hang], { timeout: 150 })
    const error = await thrown(() => client.version())
    expect(error).toBeInstanceOf(InfraTimeoutError)
    expect(error).toBeInstanceOf(InfraError)
    expect((error as InfraTimeoutError).timeoutMs).toBe(150)
    expect((error as Error).message).toMatch(
      /GET http:\/\/127\.0\.0\.1:\d+\/api\/version timed out after 150 ms/,
    )
    expect(requests).toHaveLength(1)
  })

  it('raise InfraNetworkError when nothing listens', async () => {
    // A port that was just free: bind, note it, release.
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const { port } = probe.address() as AddressInfo
    await new Promise<void>((resolve) => probe.close(() => resolve()))

    const client = new InfraClient({
      server: `http://127.0.0.1:${port}`,
      retry: { limit: 1, initialDelayMs: 1 },
    })
    const error = await thrown(() => client.version())
    expect(error).toBeInstanceOf(InfraNetworkError)
    expect((error as InfraNetworkError).code).toBe('ECONNREFUSED')
    expect((error as InfraNetworkError).message).toMatch(
      /no answer from http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
    )
  })

  it('reject with the abort reason when the caller aborts', async () => {
    const { client } = await clientFor([hang])
    const controller = new AbortController()
    const pending = thrown(() => client.version({ signal: controller.signal }))
    setTimeout(() => controller.abort(), 50)
    const error = await pending
    expect(error).not.toBeInstanceOf(InfraError)
    expect((error as Error).name).toBe('AbortError')
  })
})
