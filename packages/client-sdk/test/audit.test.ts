import type { AuditEvent } from '@infra/api-types'
import { afterAll, beforeAll, expect, it } from '@jest/globals'
import { kubeRequestEvent } from '@infra/test-harness'
import type { InfraClient } from '../src/node.js'
import { startTestServer, uniqueName, type TestServer } from './harness.js'

let infra: TestServer
let connector: InfraClient
const destination = uniqueName('cluster')

beforeAll(async () => {
  infra = await startTestServer()
  connector = (await infra.userWithRole('connector')).client
  await infra.admin.destinations.create({ name: destination, uniqueID: uniqueName('uid') })
})
afterAll(() => infra.close())

it('ingests, lists page after page, gets, exports, and checks the chain', async () => {
  const name = uniqueName('user')
  const events = Array.from({ length: 5 }, () => kubeRequestEvent({ actor: { kind: 'user', name } }))
  expect(await connector.audit.ingest(destination, events)).toEqual({ accepted: 5, duplicates: 0 })
  expect(await connector.audit.ingest(destination, events)).toEqual({ accepted: 0, duplicates: 5 })

  const page = await infra.admin.audit.list({ user: name, limit: 2 })
  expect(page.items).toHaveLength(2)
  const all: AuditEvent[] = []
  for await (const event of infra.admin.audit.iterate({ user: name, limit: 2 })) all.push(event)
  expect(all.map((event) => event.id)).toEqual(events.map((event) => event.id))
  expect((await infra.admin.audit.get(events[0]?.id ?? '')).destination).toBe(destination)

  await infra.server.ctx.audit.sealNow()
  const exported: string[] = []
  for await (const event of infra.admin.audit.export({ user: name })) exported.push(event.id)
  expect(exported.sort()).toEqual(events.map((event) => event.id).sort())

  const head = await infra.admin.audit.head()
  expect(head.count).toBeGreaterThanOrEqual(5)
  expect(await infra.admin.audit.verify()).toEqual({ ok: true, checked: head.count })
})

it('follows new events, and stops when its signal aborts', async () => {
  const name = uniqueName('follower')
  const stop = new AbortController()
  const seen: string[] = []
  const following = (async () => {
    for await (const event of infra.admin.audit.follow({ user: name }, { signal: stop.signal })) {
      seen.push(event.id)
      if (seen.length === 2) stop.abort()
    }
  })()
  const first = kubeRequestEvent({ actor: { kind: 'user', name } })
  const second = kubeRequestEvent({ actor: { kind: 'user', name } })
  await connector.audit.ingest(destination, [first])
  await connector.audit.ingest(destination, [second])
  await following
  expect(seen).toEqual([first.id, second.id])
})
