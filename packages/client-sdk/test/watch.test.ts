import { LAST_UPDATE_INDEX_HEADER } from '@infra/api-types'
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { InfraApiError, InfraClient, type Grant, type WatchOptions } from '../src/node.js'
import { startTestServer, uniqueName, type TestServer } from './harness.js'
import { hang, json, reset, startStubServer, type Responder, type StubServer } from './stub-server.js'

/** Pulls the next value of a watch, failing the test rather than hanging when none comes. */
async function next<T>(iterator: AsyncIterator<T>, withinMs = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no value within ${withinMs} ms`)), withinMs)
  })
  try {
    const result = await Promise.race([iterator.next(), timeout])
    if (result.done) throw new Error('the watch ended')
    return result.value
  } finally {
    clearTimeout(timer)
  }
}

describe('watch against the real server', () => {
  let infra: TestServer
  beforeAll(async () => {
    infra = await startTestServer()
  })
  afterAll(() => infra.close())

  it('yields the initial grant list, then ends when aborted', async () => {
    const user = await infra.admin.users.create({ name: uniqueName('watched') })
    const grant = await infra.admin.grants.create({ user: user.id, privilege: 'view', resource: 'prod' })
    const controller = new AbortController()
    const watch = infra.admin.grants.watch({ user: user.id }, { signal: controller.signal })

    const first = await next(watch)
    expect(first.map((g) => g.id)).toEqual([grant.id])

    const pending = watch.next()
    controller.abort()
    expect(await pending).toEqual({ done: true, value: undefined })
  })

  it('yields the initial destination list', async () => {
    const name = uniqueName('watched-cluster')
    const destination = await infra.admin.destinations.create({ name, uniqueID: name })
    const controller = new AbortController()
    const watch = infra.admin.destinations.watch({ name }, { signal: controller.signal })
    expect((await next(watch)).map((d) => d.id)).toEqual([destination.id])
    controller.abort()
  })

  // A poll interval far beyond the test's patience: only the server's long poll can deliver these changes.
  const longPollOnly: WatchOptions = { fallbackPollIntervalMs: 10 * 60_000 }

  it('wakes up as soon as a grant is added, via the server long poll', async () => {
    const user = await infra.admin.users.create({ name: uniqueName('polled') })
    const controller = new AbortController()
    const watch = infra.admin.grants.watch({ user: user.id }, { signal: controller.signal, ...longPollOnly })
    try {
      expect(await next(watch)).toEqual([])
      const pending = next(watch, 5_000)
      await new Promise((resolve) => setTimeout(resolve, 100))
      const grant = await infra.admin.grants.create({ user: user.id, privilege: 'edit', resource: 'prod' })
      expect((await pending).map((g) => g.id)).toEqual([grant.id])

      // And again for a removal, from the index of the list it just yielded.
      const removal = next(watch, 5_000)
      await infra.admin.grants.delete(grant.id)
      expect(await removal).toEqual([])
    } finally {
      controller.abort()
    }
  })

  it('wakes up for a destination registered after the watch started', async () => {
    const name = uniqueName('late-cluster')
    const controller = new AbortController()
    const watch = infra.admin.destinations.watch({ name }, { signal: controller.signal, ...longPollOnly })
    try {
      expect(await next(watch)).toEqual([])
      const pending = next(watch, 5_000)
      const destination = await infra.admin.destinations.create({ name, uniqueID: name })
      expect((await pending).map((d) => d.id)).toEqual([destination.id])
    } finally {
      controller.abort()
    }
  })

  it('calls onUnchanged when group membership wakes a destination watch without changing its grants', async () => {
    const destination = uniqueName('members-cluster')
    const group = await infra.admin.groups.create({ name: uniqueName('members') })
    const grant = await infra.admin.grants.create({
      group: group.id,
      privilege: 'view',
      resource: `${destination}.web`,
    })
    const user = await infra.admin.users.create({ name: uniqueName('member') })
    let unchanged: () => void = () => undefined
    const nextUnchanged = () =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('onUnchanged not called within 5 s')), 5_000)
        unchanged = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    const controller = new AbortController()
    const watch = infra.admin.grants.watch(
      { destination },
      { signal: controller.signal, ...longPollOnly, onUnchanged: () => unchanged() },
    )
    try {
      expect((await next(watch)).map((g) => g.id)).toEqual([grant.id])
      // Pulling starts the long poll; both changes arrive while the list stays the same, so it yields nothing.
      const pending = watch.next()
      let woken = nextUnchanged()
      await infra.admin.groups.updateUsers(group.id, { usersToAdd: [user.id] })
      await woken
      woken = nextUnchanged()
      await infra.admin.groups.updateUsers(group.id, { usersToRemove: [user.id] })
      await woken
      controller.abort()
      expect(await pending).toEqual({ done: true, value: undefined })
    } finally {
      controller.abort()
    }
  })

  it('keeps polling through 304s until the list changes', async () => {
    const quick = await startTestServer({ settings: { longPollTimeoutMs: 200 } })
    const controller = new AbortController()
    try {
      const user = await quick.admin.users.create({ name: uniqueName('patient') })
      const watch = quick.admin.grants.watch(
        { user: user.id },
        { signal: controller.signal, ...longPollOnly, backoff: { initialDelayMs: 50, maxDelayMs: 100 } },
      )
      expect(await next(watch)).toEqual([])
      const pending = next(watch, 5_000)
      // Several server timeouts (304) pass before the change.
      await new Promise((resolve) => setTimeout(resolve, 700))
      const grant = await quick.admin.grants.create({ user: user.id, privilege: 'view', resource: 'prod' })
      expect((await pending).map((g) => g.id)).toEqual([grant.id])
    } finally {
      controller.abort()
      await quick.close()
    }
  })

  it('resumes from Last-Update-Index after the server restarts, without losing a change made meanwhile', async () => {
    const first = await startTestServer({ adminAccessKey: infra.adminKey }, infra.database)
    const port = first.server.port
    const user = await infra.admin.users.create({ name: uniqueName('restarted') })
    const retries: string[] = []
    const controller = new AbortController()
    let requests = 0
    const counting = first.client({
      fetch: async (input, init) => {
        requests++
        return fetch(input, init)
      },
    })
    const watch = counting.grants.watch(
      { user: user.id },
      {
        signal: controller.signal,
        ...longPollOnly,
        backoff: { initialDelayMs: 50, maxDelayMs: 200 },
        onRetry: (error) => retries.push(error.name),
      },
    )
    let restarted: TestServer | undefined
    try {
      expect(await next(watch)).toEqual([])
      const pending = next(watch, 10_000)
      await new Promise((resolve) => setTimeout(resolve, 100))
      // Down: the waiting long poll is answered 304 as the server stops, and reconnects are refused.
      await first.close()
      await new Promise((resolve) => setTimeout(resolve, 300))
      // The change lands (through another instance) while the watched server is down...
      const grant = await infra.admin.grants.create({ user: user.id, privilege: 'view', resource: 'prod' })
      // ...and the restarted server, on the same address, delivers it to the resumed poll.
      restarted = await startTestServer({ adminAccessKey: infra.adminKey, port }, infra.database)
      expect((await pending).map((g) => g.id)).toEqual([grant.id])
      expect(retries.length).toBeGreaterThan(0)
      expect(new Set(retries)).toEqual(new Set(['InfraNetworkError']))
      // A stopping server may answer 304 at once, again and again, on a kept-alive connection: no spinning.
      expect(requests).toBeLessThan(40)
    } finally {
      controller.abort()
      await restarted?.close()
    }
  })
})

describe('watch against the long-poll contract', () => {
  const grant = (id: string, resource = 'prod'): Grant => ({
    id,
    created: '2024-01-01T00:00:00Z',
    createdBy: '4yJ3n3D8E2',
    updated: '2024-01-01T00:00:00Z',
    user: '4yJ3n3D8E2',
    privilege: 'view',
    resource,
  })
  const page = (items: Grant[], number = 1, totalPages = 1) => ({
    page: number,
    limit: 1000,
    totalPages,
    totalCount: items.length,
    count: items.length,
    items,
  })
  const changed = (index: number, items: Grant[], number = 1, totalPages = 1) =>
    json(200, page(items, number, totalPages), { [LAST_UPDATE_INDEX_HEADER]: String(index) })
  const notModified: Responder = (_req, res) => res.writeHead(304).end()

  let stub: StubServer | undefined
  let controller: AbortController
  afterEach(async () => {
    controller.abort()
    await stub?.close()
    stub = undefined
  })

  const fastRetry: WatchOptions = { backoff: { initialDelayMs: 10, maxDelayMs: 50 } }

  async function watchStub(script: Responder[], options: WatchOptions = {}) {
    stub = await startStubServer(script)
    controller = new AbortController()
    const client = new InfraClient({ server: stub.url, accessKey: 'aaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbb' })
    const watch = client.grants.watch(
      { destination: 'prod' },
      { signal: controller.signal, ...fastRetry, ...options },
    )
    return { watch, requests: stub.requests }
  }

  const indexesSent = (requests: StubServer['requests']) =>
    requests.map((r) => new URL(r.url, 'http://x').searchParams.get('lastUpdateIndex'))

  it('long-polls from the last index, treats 304 as no change and yields each new list', async () => {
    const { watch, requests } = await watchStub([
      changed(5, [grant('1111111111')]),
      notModified,
      changed(7, [grant('1111111111'), grant('2222222222')]),
      hang,
    ])
    expect((await next(watch)).map((g) => g.id)).toEqual(['1111111111'])
    expect((await next(watch)).map((g) => g.id)).toEqual(['1111111111', '2222222222'])
    expect(indexesSent(requests)).toEqual(['0', '5', '5'])
    // A watch is pulled: the next long poll starts when the consumer asks for the next list.
    void watch.next()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(indexesSent(requests)).toEqual(['0', '5', '5', '7'])
    const query = new URL(requests[0]?.url ?? '', 'http://x').searchParams
    expect(query.get('destination')).toBe('prod')
    expect(query.get('limit')).toBe('1000')
  })

  it('backs off and reconnects after network errors and 503s, resuming from the same index', async () => {
    const retries: { attempt: number; name: string }[] = []
    const { watch, requests } = await watchStub(
      [
        changed(5, [grant('1111111111')]),
        reset,
        json(503, { code: 503, message: 'restarting' }),
        reset,
        changed(9, [grant('3333333333')]),
        hang,
      ],
      { onRetry: (error, info) => retries.push({ attempt: info.attempt, name: error.name }) },
    )
    expect((await next(watch)).map((g) => g.id)).toEqual(['1111111111'])
    expect((await next(watch)).map((g) => g.id)).toEqual(['3333333333'])
    expect(indexesSent(requests).slice(0, 5)).toEqual(['0', '5', '5', '5', '5'])
    expect(retries).toEqual([
      { attempt: 1, name: 'InfraNetworkError' },
      { attempt: 2, name: 'InfraApiError' },
      { attempt: 3, name: 'InfraNetworkError' },
    ])
  })

  it('treats a long poll that outlives pollTimeoutMs as a lost connection and polls again', async () => {
    const retries: string[] = []
    const { watch, requests } = await watchStub(
      [changed(4, [grant('1111111111')]), hang, changed(5, [grant('2222222222')]), hang],
      { pollTimeoutMs: 100, onRetry: (error) => retries.push(error.name) },
    )
    expect((await next(watch)).map((g) => g.id)).toEqual(['1111111111'])
    expect((await next(watch)).map((g) => g.id)).toEqual(['2222222222'])
    expect(retries).toEqual(['InfraTimeoutError'])
    expect(indexesSent(requests)).toEqual(['0', '4', '4'])
  })

  it('survives a server restart without losing the change made meanwhile', async () => {
    let server: Server | undefined
    const seen: (string | null)[] = []
    const listen = (port: number, answer: Responder) =>
      new Promise<Server>((resolve) => {
        const s = createServer((req, res) => {
          seen.push(new URL(req.url ?? '', 'http://x').searchParams.get('lastUpdateIndex'))
          answer(req, res, '')
        })
        s.listen(port, '127.0.0.1', () => resolve(s))
      })
    server = await listen(0, changed(5, [grant('1111111111')]))
    const { port } = server.address() as AddressInfo
    controller = new AbortController()
    const client = new InfraClient({ server: `http://127.0.0.1:${port}` })
    const watch = client.grants.watch({}, { signal: controller.signal, ...fastRetry })
    try {
      expect((await next(watch)).map((g) => g.id)).toEqual(['1111111111'])
      // Down: the pending long poll is cut and reconnects are refused for a while.
      server.closeAllConnections()
      await new Promise<void>((resolve) => server?.close(() => resolve()))
      await new Promise((resolve) => setTimeout(resolve, 200))
      // Back, with a change made while it was down: the resumed poll (from index 5) sees it at once.
      server = await listen(port, (req, res) => {
        const since = Number(new URL(req.url ?? '', 'http://x').searchParams.get('lastUpdateIndex'))
        if (since < 6) changed(6, [grant('1111111111'), grant('2222222222')])(req, res, '')
      })
      expect((await next(watch)).map((g) => g.id)).toEqual(['1111111111', '2222222222'])
      expect(seen.filter((index) => index !== '5' && index !== '0')).toEqual([])
    } finally {
      controller.abort()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server?.close(() => resolve()))
    }
  })

  it('fetches every page of a changed list before yielding, and only then moves the index', async () => {
    const { watch, requests } = await watchStub([
      changed(3, [grant('1111111111')], 1, 2),
      changed(3, [grant('2222222222')], 2, 2),
      hang,
    ])
    expect((await next(watch)).map((g) => g.id)).toEqual(['1111111111', '2222222222'])
    void watch.next()
    await new Promise((resolve) => setTimeout(resolve, 50))
    const pages = requests.map((r) => new URL(r.url, 'http://x').searchParams.get('page'))
    expect(pages).toEqual(['1', '2', '1'])
    expect(indexesSent(requests)).toEqual(['0', null, '3'])
  })

  it('does not yield the same list twice', async () => {
    const same = [grant('1111111111')]
    const { watch, requests } = await watchStub([
      changed(1, same),
      changed(2, same),
      changed(3, [...same, grant('2222222222')]),
      hang,
    ])
    expect((await next(watch)).length).toBe(1)
    expect((await next(watch)).length).toBe(2)
    expect(requests.length).toBeGreaterThanOrEqual(3)
  })

  it('calls onUnchanged for each answer repeating the list, and moves the index on', async () => {
    const same = [grant('1111111111')]
    let unchanged = 0
    const { watch, requests } = await watchStub(
      [
        changed(1, same),
        changed(2, same),
        notModified,
        changed(3, same),
        changed(4, [grant('2222222222')]),
        hang,
      ],
      { onUnchanged: () => unchanged++ },
    )
    expect((await next(watch)).map((g) => g.id)).toEqual(['1111111111'])
    expect(unchanged).toBe(0)
    expect((await next(watch)).map((g) => g.id)).toEqual(['2222222222'])
    // A 304 is no answer: only the two repeated lists count.
    expect(unchanged).toBe(2)
    expect(indexesSent(requests)).toEqual(['0', '1', '2', '2', '3'])
  })

  it('polls, yielding only changes, when the server answers without Last-Update-Index', async () => {
    const plain = (items: Grant[]) => json(200, page(items))
    const { watch, requests } = await watchStub(
      [plain([grant('1111111111')]), plain([grant('1111111111')]), plain([grant('2222222222')]), hang],
      { fallbackPollIntervalMs: 50 },
    )
    expect((await next(watch)).map((g) => g.id)).toEqual(['1111111111'])
    const started = Date.now()
    expect((await next(watch)).map((g) => g.id)).toEqual(['2222222222'])
    expect(Date.now() - started).toBeGreaterThanOrEqual(90)
    expect(indexesSent(requests)).toEqual(['0', '0', '0'])
  })

  it('backs off instead of spinning when 304s come back at once', async () => {
    const { watch, requests } = await watchStub([changed(1, []), notModified], {
      backoff: { initialDelayMs: 100, maxDelayMs: 400 },
    })
    expect(await next(watch)).toEqual([])
    void watch.next()
    await new Promise((resolve) => setTimeout(resolve, 1000))
    // Delays of 50-100, 100-200, 200-400, 200-400 ms...: a handful of polls, not hundreds.
    expect(requests.length).toBeGreaterThanOrEqual(3)
    expect(requests.length).toBeLessThanOrEqual(10)
  })

  it('ends with the error when it is not transient', async () => {
    const { watch } = await watchStub([
      changed(1, [grant('1111111111')]),
      json(401, { code: 401, message: 'the access key has expired' }),
    ])
    await next(watch)
    await expect(watch.next()).rejects.toBeInstanceOf(InfraApiError)
  })

  it('ends quietly when aborted in the middle of a long poll', async () => {
    const { watch, requests } = await watchStub([changed(1, []), hang])
    expect(await next(watch)).toEqual([])
    const pending = watch.next()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(requests).toHaveLength(2)
    controller.abort()
    expect(await pending).toEqual({ done: true, value: undefined })
  })
})
