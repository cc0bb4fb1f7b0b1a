import { afterAll, beforeAll, expect, it } from '@jest/globals'
import { loginAsAdmin, run, sandbox, startTestServer, type Sandbox, type TestServer } from './helpers.js'

let t: TestServer
let box: Sandbox
beforeAll(async () => {
  t = await startTestServer()
  box = sandbox()
})
afterAll(async () => {
  await t.close()
  box.cleanup()
})

it('smoke', async () => {
  await loginAsAdmin(t, box)
  for (const args of [
    ['users', 'list'],
    ['users', 'add', 'a@example.com'],
    ['users', 'list', '--format', 'json'],
    ['info'],
    ['version'],
    ['list'],
    ['keys', 'list'],
    ['grants', 'list'],
  ]) {
    const r = await run(args, box.env)
    console.log(args.join(' '), r)
  }
  expect(1).toBe(1)
})
