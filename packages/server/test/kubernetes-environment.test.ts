import { afterAll, beforeAll, describe, it } from '@jest/globals'
import { createTestDatabase, eventually, freePort, type TestDatabase } from '@infra/test-harness'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { get } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const bin = fileURLToPath(new URL('../dist/bin/infra-server.js', import.meta.url))

/** What Kubernetes sets in every Pod of a namespace with a Service named infra-server (port 80, named http). */
const SERVICE_LINKS = {
  INFRA_SERVER_SERVICE_HOST: '10.0.0.5',
  INFRA_SERVER_SERVICE_PORT: '80',
  INFRA_SERVER_SERVICE_PORT_HTTP: '80',
  INFRA_SERVER_PORT: 'tcp://10.0.0.5:80',
  INFRA_SERVER_PORT_80_TCP: 'tcp://10.0.0.5:80',
  INFRA_SERVER_PORT_80_TCP_PROTO: 'tcp',
  INFRA_SERVER_PORT_80_TCP_PORT: '80',
  INFRA_SERVER_PORT_80_TCP_ADDR: '10.0.0.5',
}

let database: TestDatabase
let dataDir: string

beforeAll(async () => {
  database = await createTestDatabase()
  dataDir = await mkdtemp(join(tmpdir(), 'infra-server-env-'))
})

afterAll(async () => {
  await database.drop()
  await rm(dataDir, { recursive: true, force: true })
})

/** Whether /healthz answers 200 over HTTPS, unverified, as a Kubernetes probe with `scheme: HTTPS` asks. */
const healthy = (port: number) =>
  new Promise<boolean>((resolve) => {
    get(`https://127.0.0.1:${port}/healthz`, { rejectUnauthorized: false }, (response) => {
      response.resume()
      resolve(response.statusCode === 200)
    }).on('error', () => resolve(false))
  })

/** Runs the built infra-server until its /healthz answers on `port`; its output if it exits first. */
async function startsAndAnswers(env: Record<string, string>, args: string[], port: number): Promise<void> {
  const child = spawn(process.execPath, [bin, '--log-level', 'warn', ...args], {
    // One process: what these tests check is the environment (workers.test.ts starts several).
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      INFRA_ROOT_KEY: `root-key-${database.name}`,
      INFRA_SERVER_WORKERS: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const exitedEarly = exited.then(() => {
    throw new Error(`infra-server exited with ${child.exitCode}:\n${output}`)
  })
  try {
    await Promise.race([
      exitedEarly,
      eventually(() => healthy(port), 20_000, 100, 'infra-server answering /healthz'),
    ])
  } finally {
    child.kill('SIGTERM')
    await exited
  }
}

describe('infra-server in a namespace with a Service named infra-server', () => {
  it('starts: the service links Kubernetes sets are not settings', async () => {
    const port = await freePort()
    await startsAndAnswers(
      { ...SERVICE_LINKS, INFRA_SERVER_DATA_DIR: dataDir },
      ['--port', String(port)],
      port,
    )
  })

  it('still takes the port from INFRA_SERVER_PORT when that is a port number', async () => {
    const port = await freePort()
    await startsAndAnswers(
      { ...SERVICE_LINKS, INFRA_SERVER_PORT: String(port), INFRA_SERVER_DATA_DIR: dataDir },
      [],
      port,
    )
  })
})
