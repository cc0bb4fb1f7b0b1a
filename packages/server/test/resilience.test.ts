import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import pg from 'pg'
import { startTestServer, uniqueName, type TestServer } from './harness.js'

let t: TestServer

beforeAll(async () => {
  t = await startTestServer({ settings: { longPollTimeoutMs: 5_000 } })
})
afterAll(() => t.close())

/** What a Postgres restart or failover does to a server: every connection it holds is closed under it. */
async function terminateServerConnections() {
  const client = new pg.Client({ connectionString: t.database.url })
  await client.connect()
  await client.query(
    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
  )
  await client.end()
}

describe('when Postgres drops the connections', () => {
  it('keeps serving, and long polls wake again once notifications reconnect', async () => {
    expect((await t.request('GET', '/api/users/self')).status).toBe(200)
    await terminateServerConnections()
    await new Promise((resolve) => setTimeout(resolve, 300))
    let status = 0
    for (let attempt = 0; attempt < 20 && status !== 200; attempt++) {
      status = (await t.request('GET', '/api/users/self')).status
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(status).toBe(200)

    const destination = uniqueName('after-restart')
    const user = (await t.request<any>('POST', '/api/users', { body: { name: uniqueName('u') } })).body.id
    const first = await t.request('GET', '/api/grants', { query: { destination, lastUpdateIndex: 1 } })
    // Give the notification connection time to come back before waiting on it.
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    const poll = t.request<any>('GET', '/api/grants', {
      query: { destination, lastUpdateIndex: first.headers.get('last-update-index') as string },
    })
    await new Promise((resolve) => setTimeout(resolve, 200))
    await t.request('POST', '/api/grants', { body: { user, privilege: 'view', resource: destination } })
    const woken = await poll
    expect(woken.status).toBe(200)
    expect(woken.body.count).toBe(1)
  })
})
