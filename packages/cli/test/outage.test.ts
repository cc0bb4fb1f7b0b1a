import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createTestDatabase, startStoppablePostgres, type StoppablePostgres } from '@infra/test-harness'
import { run, sandbox, startTestServer, type Sandbox, type TestServer } from './helpers.js'

let postgres: StoppablePostgres
let t: TestServer
let box: Sandbox
const infra = (...args: string[]) => run(args, box.env)
const RETRYING = 'warning: the server cannot reach its database, retrying\n'

beforeAll(async () => {
  postgres = await startStoppablePostgres()
  t = await startTestServer({}, await createTestDatabase(postgres.adminUrl))
  box = sandbox()
  expect((await infra('login', t.url, '--key', t.adminKey)).code).toBe(0)
})
afterAll(async () => {
  await t.close()
  await postgres.close()
  box.cleanup()
})

describe('while the server cannot reach its database', () => {
  it('says once that it is retrying, and answers when the database is back', async () => {
    await postgres.stop()
    const listing = infra('users', 'list')
    setTimeout(() => void postgres.start(), 1_500)
    const result = await listing
    expect(result).toEqual({ code: 0, stdout: expect.stringContaining('admin'), stderr: RETRYING })
  })

  it('gives up with a clear error when the database stays away', async () => {
    await postgres.stop()
    try {
      const started = Date.now()
      const result = await infra('users', 'list')
      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr: `${RETRYING}error: the server cannot reach its database\nhint: gave up retrying: try again later\n`,
      })
      expect(Date.now() - started).toBeLessThan(40_000)
    } finally {
      await postgres.start()
    }
  }, 60_000)
})
