import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createTestDatabase, startStoppablePostgres, type StoppablePostgres } from '@infra/test-harness'
import { isAlive, runningAgent } from '@infra/agent'
import { eventually } from '@infra/test-harness'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { run, runBin, sandbox, startTestServer, type Sandbox, type TestServer } from './helpers.js'

let postgres: StoppablePostgres
let t: TestServer
let box: Sandbox
const infra = (...args: string[]) => run(args, box.env)
const RETRYING = 'warning: the server cannot reach its database, retrying\n'
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'

const destination = (name: string) =>
  t.api('POST', '/api/destinations', {
    body: {
      name,
      uniqueID: `${name}-cluster`,
      connection: { url: `${name}.example.com:443`, ca: CA },
      resources: ['default'],
      roles: ['view'],
    },
  })

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

describe('the background agent, through an outage of the database', () => {
  it('keeps the kubeconfig as it is, and resumes following grants once the database is back', async () => {
    const user = 'outage-agent@example.com'
    await destination('before-outage')
    await destination('after-outage')
    expect((await infra('users', 'add', user)).code).toBe(0)
    expect((await infra('grants', 'add', user, 'before-outage', '--role', 'view')).code).toBe(0)
    const key = (await infra('keys', 'add', user)).stdout.trim()
    const agentBox = sandbox()
    try {
      expect((await runBin(['login', t.url, '--key', key], agentBox.env)).code).toBe(0)
      const pid = runningAgent(join(agentBox.home, '.infra'))
      expect(pid).toBeDefined()
      const kubeconfig = () =>
        existsSync(agentBox.kubeconfig) ? readFileSync(agentBox.kubeconfig, 'utf8') : ''
      await eventually(() => kubeconfig().includes('infra:before-outage'), 10_000, 50, 'the first context')
      const before = kubeconfig()

      await postgres.stop()
      try {
        await sleep(3_000)
        expect(kubeconfig()).toBe(before)
        expect(isAlive(pid!)).toBe(true)
      } finally {
        await postgres.start()
      }
      expect((await infra('grants', 'add', user, 'after-outage', '--role', 'view')).code).toBe(0)
      await eventually(
        () => kubeconfig().includes('infra:after-outage'),
        15_000,
        50,
        'the context granted after',
      )
      expect(kubeconfig()).toContain('infra:before-outage')
      const log = readFileSync(join(agentBox.home, '.infra', 'logs', 'agent.log'), 'utf8')
      expect(log).toMatch(/lost the server \(the server cannot reach its database\); keeping the kubeconfig/)
    } finally {
      await runBin(['logout'], agentBox.env)
      agentBox.cleanup()
    }
  }, 60_000)
})
