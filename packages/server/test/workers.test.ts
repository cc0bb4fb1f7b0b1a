// infra-server --workers 2, the real built binary on a real Postgres: one port, two processes behind it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { API_VERSION, LAST_UPDATE_INDEX_HEADER } from '@infra/api-types'
import {
  createTestDatabase,
  eventually,
  freePort,
  randomAccessKey,
  run,
  uniqueName,
  type TestDatabase,
} from '@infra/test-harness'
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MEMORY_FLAGS } from '../src/bin/memory-flags.js'

const bin = fileURLToPath(new URL('../dist/bin/infra-server.js', import.meta.url))
const adminKey = randomAccessKey()

let database: TestDatabase
let primary: ChildProcess
let port: number
const logLines: Record<string, unknown>[] = []
let exited: Promise<number | null>

beforeAll(async () => {
  database = await createTestDatabase()
  port = await freePort()
  primary = spawn(
    process.execPath,
    [bin, '--insecure-http', '--port', String(port), '--workers', '2', '--access-log', 'all'],
    { env: serverEnvironment(), stdio: ['ignore', 'pipe', 'inherit'] },
  )
  exited = new Promise((resolve) => primary.once('exit', (code) => resolve(code)))
  let partial = ''
  primary.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n')
    partial = lines.pop() ?? ''
    for (const line of lines) if (line) logLines.push(JSON.parse(line) as Record<string, unknown>)
  })
  await eventually(() => workerPids().length === 2, 60_000, 50, 'two workers listening')
}, 90_000)

afterAll(async () => {
  if (primary.exitCode === null) primary.kill('SIGKILL')
  await database.drop()
})

function serverEnvironment() {
  return {
    ...process.env,
    DATABASE_URL: database.url,
    INFRA_ROOT_KEY: `root-key-${database.name}`,
    INFRA_ADMIN_ACCESS_KEY: adminKey,
  }
}

/** The pids of the workers that said they listen, in order. */
const workerPids = () =>
  logLines.filter((line) => String(line.msg).startsWith('infra server listening')).map((line) => line.pid)

interface Answer {
  status: number
  body: any
  headers: Record<string, string | string[] | undefined>
}

/** One request over `agent`'s connection (a fresh one without an agent). */
function call(
  agent: Agent | false,
  method: string,
  path: string,
  options: { key?: string; body?: unknown } = {},
): Promise<Answer> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body)
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        headers: {
          'Infra-Version': API_VERSION,
          Authorization: `Bearer ${options.key ?? adminKey}`,
          ...(payload && { 'Content-Type': 'application/json' }),
        },
      },
      (response) => {
        let text = ''
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: text ? JSON.parse(text) : undefined,
            headers: response.headers,
          }),
        )
      },
    )
    outgoing.on('error', reject).end(payload)
  })
}

/** The pid of the worker at the other end of `agent`'s one kept-alive connection, told by its access log. */
async function workerOf(agent: Agent): Promise<unknown> {
  const path = `/api/${uniqueName('which-worker')}`
  expect((await call(agent, 'GET', path)).status).toBe(404)
  const line = await eventually(() => logLines.find((entry) => entry.path === path), 5_000)
  return line.pid
}

/** Two kept-alive connections, each to another worker. */
async function connectionsToBothWorkers(): Promise<{ a: Agent; b: Agent }> {
  const a = new Agent({ keepAlive: true, maxSockets: 1 })
  const pidOfA = await workerOf(a)
  for (let attempt = 0; attempt < 10; attempt++) {
    const b = new Agent({ keepAlive: true, maxSockets: 1 })
    if ((await workerOf(b)) !== pidOfA) return { a, b }
    b.destroy()
  }
  throw new Error('every connection went to the same worker')
}

describe('infra-server --workers 2', () => {
  it('answers through both workers, each access log line naming its process', async () => {
    const [first, second] = workerPids()
    expect(first).not.toBe(second)
    expect([first, second]).not.toContain(primary.pid)
    const { a, b } = await connectionsToBothWorkers()
    expect(workerPids()).toContain(await workerOf(a))
    expect(workerPids()).toContain(await workerOf(b))
    a.destroy()
    b.destroy()
  })

  it('starts each worker with the memory flags as real Node options', () => {
    for (const pid of workerPids()) {
      const commandLine = readFileSync(`/proc/${String(pid)}/cmdline`, 'utf8').split('\0')
      expect(commandLine).toEqual(expect.arrayContaining(MEMORY_FLAGS))
    }
  })

  it('refuses through one worker, at once, a key revoked through the other', async () => {
    const { a, b } = await connectionsToBothWorkers()
    const user = await call(a, 'POST', '/api/users', { body: { name: uniqueName('revoked') } })
    const key = await call(a, 'POST', '/api/access-keys', { body: { userID: user.body.id } })
    // The other worker has the key in its cache of callers now.
    expect((await call(b, 'GET', '/api/users/self', { key: key.body.accessKey })).status).toBe(200)
    expect((await call(a, 'DELETE', `/api/access-keys/${key.body.id}`)).status).toBe(204)
    await eventually(
      async () => (await call(b, 'GET', '/api/users/self', { key: key.body.accessKey })).status === 401,
      2_000,
      20,
      'the other worker refusing the revoked key',
    )
    a.destroy()
    b.destroy()
  })

  it('wakes a long poll waiting on one worker with a grant created through the other', async () => {
    const { a, b } = await connectionsToBothWorkers()
    const destination = uniqueName('d')
    const user = await call(a, 'POST', '/api/users', { body: { name: uniqueName('lp') } })
    const first = await call(b, 'GET', `/api/grants?destination=${destination}&lastUpdateIndex=1`)
    const index = Number(first.headers[LAST_UPDATE_INDEX_HEADER.toLowerCase()])
    let answered = false
    const poll = call(b, 'GET', `/api/grants?destination=${destination}&lastUpdateIndex=${index}`).finally(
      () => (answered = true),
    )
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(answered).toBe(false)
    await call(a, 'POST', '/api/grants', {
      body: { user: user.body.id, privilege: 'view', resource: `${destination}.web` },
    })
    const woken = await poll
    expect(woken.status).toBe(200)
    expect(woken.body.items.map((grant: { resource: string }) => grant.resource)).toEqual([
      `${destination}.web`,
    ])
    a.destroy()
    b.destroy()
  })

  it('replaces a worker that is killed, the port answering meanwhile', async () => {
    const [victim, survivor] = workerPids() as [number, number]
    process.kill(victim, 'SIGKILL')
    await eventually(() => workerPids().length === 3, 60_000, 50, 'a new worker listening')
    const replacement = workerPids()[2]
    expect([victim, survivor]).not.toContain(replacement)
    expect(logLines).toContainEqual(
      expect.objectContaining({ msg: 'an infra-server worker exited; starting another', worker: victim }),
    )
    for (let attempt = 0; attempt < 6; attempt++) {
      expect((await call(false, 'GET', '/api/users/self')).status).toBe(200)
    }
  }, 90_000)

  it('stops every process on SIGTERM', async () => {
    const workers = workerPids().slice(1) as number[]
    primary.kill('SIGTERM')
    expect(await exited).toBe(0)
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow(/ESRCH/)
    expect(logLines.filter((line) => line.msg === 'infra server stopped').map((line) => line.pid)).toEqual(
      expect.arrayContaining(workers),
    )
  }, 30_000)
})

describe('infra-server --workers 2 whose workers cannot listen', () => {
  it('exits non-zero, saying why', async () => {
    const taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, resolve))
    const { port: busy } = taken.address() as { port: number }
    try {
      const result = await run(
        process.execPath,
        [bin, '--insecure-http', '--port', String(busy), '--workers', '2', '--log-level', 'warn'],
        { env: serverEnvironment(), timeoutMs: 60_000 },
      )
      expect(result.code).toBe(1)
      expect(result.stderr).toContain('EADDRINUSE')
      expect(result.stderr).toContain('infra-server: a worker exited (code 1) before it listened')
    } finally {
      taken.close()
    }
  }, 90_000)
})

describe('infra-server --workers 2 with its embedded Postgres', () => {
  it('starts Postgres and shows the first-start banner once, then stops everything on SIGTERM', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'infra-workers-'))
    const ownPort = await freePort()
    const { DATABASE_URL: _external, ...env } = process.env
    const server = spawn(
      process.execPath,
      [bin, '--insecure-http', '--port', String(ownPort), '--workers', '2', '--data-dir', dataDir],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stdout = ''
    let stderr = ''
    server.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    server.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const exit = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)))
    try {
      await eventually(() => stdout.includes('infra server workers listening'), 90_000, 100, 'the workers')
      expect(stdout.match(/started embedded Postgres/g)).toHaveLength(1)
      expect(stderr.match(/Infra is running for the first time/g)).toHaveLength(1)
      const key = /--key (\S+)/.exec(stderr)?.[1]
      const self = await fetch(`http://127.0.0.1:${ownPort}/api/users/self`, {
        headers: { 'Infra-Version': API_VERSION, Authorization: `Bearer ${key}` },
      })
      expect(self.status).toBe(200)
      server.kill('SIGTERM')
      expect(await exit).toBe(0)
      expect(stdout.match(/"infra server stopped"/g)).toHaveLength(2)
    } finally {
      server.kill('SIGKILL')
      await rm(dataDir, { recursive: true, force: true })
    }
  }, 120_000)
})
