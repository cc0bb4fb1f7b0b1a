// The background agent as users get it: `infra login` (the bundled binary) starts it, it rewrites the kubeconfig
// as soon as grants, group membership or destinations change, and it stops at logout, at the next login, and
// when its access key stops working.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { isAlive, runningAgent, startAgent, stopAgent } from '@infra/agent'
import { eventually } from '@infra/test-harness'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse, stringify } from 'yaml'
import { BIN, run, runBin, sandbox, startTestServer, type Sandbox, type TestServer } from './helpers.js'

const USER = 'agent-user@example.com'
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'

let t: TestServer
let admin: Sandbox
const boxes: Sandbox[] = []

const newBox = () => {
  const box = sandbox()
  boxes.push(box)
  return box
}
const asAdmin = async (...args: string[]) => {
  const result = await run(args, admin.env)
  if (result.code !== 0) throw new Error(`infra ${args.join(' ')}: ${result.stderr}`)
  return result.stdout.trim()
}
const agentOf = (box: Sandbox) => runningAgent(join(box.home, '.infra'))
const contexts = (box: Sandbox): string[] => {
  if (!existsSync(box.kubeconfig)) return []
  const config = parse(readFileSync(box.kubeconfig, 'utf8')) as { contexts?: { name: string }[] } | null
  return (config?.contexts ?? []).map((context) => context.name).sort()
}

/** Waits for the agent to do something in the background; resolves to how long it took. */
async function timeUntil(check: () => boolean, what: string): Promise<number> {
  const started = performance.now()
  await eventually(check, 10_000, 20, what)
  return performance.now() - started
}

async function loginWithAgent(box: Sandbox, key: string): Promise<number> {
  const login = await runBin(['login', t.url, '--key', key], box.env)
  expect(login.code).toBe(0)
  const pid = agentOf(box)
  if (pid === undefined) throw new Error(`no agent after login: ${login.stderr}`)
  return pid
}

beforeAll(async () => {
  t = await startTestServer()
  admin = newBox()
  await run(['login', t.url, '--key', t.adminKey], admin.env)
  for (const name of ['agent-dev', 'agent-prod']) {
    await t.api('POST', '/api/destinations', {
      body: {
        name,
        uniqueID: `${name}-cluster`,
        connection: { url: `${name}.example.com:443`, ca: CA },
        resources: ['default'],
        roles: ['view', 'edit'],
      },
    })
  }
  await asAdmin('users', 'add', USER)
  await asAdmin('groups', 'add', 'agent-devs')
})

afterAll(async () => {
  for (const box of boxes) box.cleanup()
  await t.close()
})

describe('the background agent', () => {
  it('follows grants, group membership and destinations into the kubeconfig, and stops at logout', async () => {
    const box = newBox()
    const key = await asAdmin('keys', 'add', USER)
    const pid = await loginWithAgent(box, key)
    expect(contexts(box)).toEqual([])

    await asAdmin('grants', 'add', USER, 'agent-dev', '--role', 'view')
    const granted = await timeUntil(() => contexts(box).includes('infra:agent-dev'), 'the granted context')
    await asAdmin('grants', 'add', 'agent-devs', 'agent-prod.default', '--group', '--role', 'edit')
    await asAdmin('groups', 'adduser', USER, 'agent-devs')
    await timeUntil(() => contexts(box).includes('infra:agent-prod.default'), 'the group’s context')
    await asAdmin('grants', 'remove', USER, 'agent-dev', '--role', 'view')
    const revoked = await timeUntil(() => !contexts(box).includes('infra:agent-dev'), 'the revoked context')
    await asAdmin('groups', 'removeuser', USER, 'agent-devs')
    await timeUntil(() => contexts(box).length === 0, 'the group’s context to go')
    console.log(`agent: grant to context ${Math.round(granted)} ms, revoke to gone ${Math.round(revoked)} ms`)

    expect((await runBin(['logout'], box.env)).code).toBe(0)
    await timeUntil(() => !isAlive(pid), 'the agent to stop after logout')
    expect(agentOf(box)).toBeUndefined()
  })

  it('is replaced by the next login, and stops by itself when its access key is revoked', async () => {
    const box = newBox()
    const user = 'agent-revoked@example.com'
    await asAdmin('users', 'add', user)
    const first = await loginWithAgent(box, await asAdmin('keys', 'add', user))
    const second = await loginWithAgent(box, await asAdmin('keys', 'add', user))
    expect(second).not.toBe(first)
    await timeUntil(() => !isAlive(first), 'the first agent to stop')
    expect(isAlive(second)).toBe(true)

    // Logging in with a key gives a session key of its own: revoke every key of the user.
    const { id } = (await t.api('GET', `/api/users?name=${encodeURIComponent(user)}`)).items[0]
    for (const key of (await t.api('GET', `/api/access-keys?userID=${id}`)).items)
      await t.api('DELETE', `/api/access-keys/${key.id}`)
    const log = () => readFileSync(join(box.home, '.infra', 'logs', 'agent.log'), 'utf8')
    await timeUntil(() => !isAlive(second), 'the agent to notice its key was revoked').catch(
      (error: Error) => {
        throw new Error(`${error.message}; its log:\n${log()}`)
      },
    )
    expect(log()).toMatch(/access key is no longer valid/)
  })

  it('rewrites the kubectl entries an older CLI wrote (no destination) as soon as it starts', async () => {
    const box = newBox()
    const user = 'agent-upgraded@example.com'
    await asAdmin('users', 'add', user)
    await asAdmin('grants', 'add', user, 'agent-dev', '--role', 'view')
    const login = await runBin(
      ['login', t.url, '--key', await asAdmin('keys', 'add', user), '--no-agent'],
      box.env,
    )
    expect(login.code).toBe(0)
    type Users = { users: { user: { exec: { args: string[] } } }[] }
    const execArgs = () =>
      (parse(readFileSync(box.kubeconfig, 'utf8')) as Users).users.map((u) => u.user.exec.args)
    // As an older CLI wrote them: `tokens add` alone.
    const config = parse(readFileSync(box.kubeconfig, 'utf8')) as Users
    for (const entry of config.users) entry.user.exec.args = entry.user.exec.args.slice(0, -2)
    writeFileSync(box.kubeconfig, stringify(config))
    expect(execArgs()).toEqual([['tokens', 'add']])

    const home = join(box.home, '.infra')
    startAgent(home, process.execPath, [BIN, 'agent', '--server', t.url], box.env)
    try {
      await timeUntil(() => execArgs()[0]?.length === 4, 'the agent to rewrite the entries')
      expect(execArgs()).toEqual([['tokens', 'add', '--destination', 'agent-dev']])
    } finally {
      stopAgent(home)
    }
  })

  it('is not started with --no-agent', async () => {
    const box = newBox()
    const key = await asAdmin('keys', 'add', USER)
    expect((await runBin(['login', t.url, '--key', key, '--no-agent'], box.env)).code).toBe(0)
    expect(agentOf(box)).toBeUndefined()
  })
})
