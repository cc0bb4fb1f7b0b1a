// A database outage of the Infra server seen from a cluster: the real connector and kube-apiserver, the real
// server on a Postgres of its own that the test stops and starts.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { tokenAudience } from '@infra/api-types'
import { createTestDatabase, startStoppablePostgres, type StoppablePostgres } from '@infra/test-harness'
import { generateKeyPair, SignJWT } from 'jose'
import { setTimeout as sleep } from 'node:timers/promises'
import type { RunningConnector } from '../src/connector.js'
import { eventually, startEnv, type InfraUser, type TestEnv } from './env.js'

const DESTINATION = 'test-cluster'

let postgres: StoppablePostgres
let env: TestEnv
let connector: RunningConnector
let viewer: InfraUser
let newcomer: InfraUser
let viewerGrant: string
let viewerToken: string

const listPods = (token: string) =>
  env.kubectl(env.userKubeconfig('user', connector, token), 'get', 'pods', '-n', 'web')

/** A token for the right destination, signed by a key the server never had: refused for its signature alone. */
async function forgedToken(name: string): Promise<string> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' })
  return new SignJWT({ name, groups: [] })
    .setProtectedHeader({ alg: 'EdDSA', kid: 'unknown-key' })
    .setIssuer('infra')
    .setAudience(tokenAudience(DESTINATION))
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey)
}

beforeAll(async () => {
  postgres = await startStoppablePostgres()
  env = await startEnv({ database: await createTestDatabase(postgres.adminUrl) })
  await env.adminKubectl('create', 'namespace', 'web')
  // Frequent resyncs and member refreshes, so that both run (and fail to reach the server) during the outage.
  connector = await env.startConnector({ name: DESTINATION, resyncMs: 300, groupRefreshMs: 300 })
  viewer = await env.createUser('viewer@example.com')
  newcomer = await env.createUser('newcomer@example.com')
  viewerGrant = await env.grant({ user: viewer.id, privilege: 'view', resource: `${DESTINATION}.web` })
  viewerToken = await env.token(viewer, DESTINATION)
  await eventually(async () => (await listPods(viewerToken)).code === 0, 10_000)
})

afterAll(async () => {
  await env?.close()
  await postgres?.close()
})

describe('while the Infra server cannot reach its database', () => {
  it('the connector keeps enforcing the last grants it saw and refuses what it cannot verify', async () => {
    // A token minted before the outage and never shown to the connector: verified with the keys it holds.
    const unseenToken = await env.token(viewer, DESTINATION)
    await postgres.stop()
    try {
      expect((await env.request('GET', '/api/grants', { query: { destination: DESTINATION } })).status).toBe(
        503,
      )
      // Several resyncs and member refreshes fail meanwhile; none may take a binding away.
      await sleep(2_000)
      expect(await listPods(viewerToken)).toMatchObject({ code: 0 })
      expect(await listPods(unseenToken)).toMatchObject({ code: 0 })
      const forged = await listPods(await forgedToken('viewer@example.com'))
      expect(forged.code).not.toBe(0)
      expect(forged.stderr).toMatch(/Unauthorized|must be logged in/)
      expect((await listPods('garbage')).code).not.toBe(0)
      expect(connector.isReady()).toBe(true)
    } finally {
      await postgres.start()
    }
  }, 60_000)

  it('converges once the database is back: new grants reach the cluster, revoked ones leave it', async () => {
    await env.grant({ user: newcomer.id, privilege: 'view', resource: `${DESTINATION}.web` })
    await env.revoke(viewerGrant)
    const newcomerToken = await env.token(newcomer, DESTINATION)
    await eventually(async () => (await listPods(newcomerToken)).code === 0, 10_000)
    await eventually(async () => (await listPods(viewerToken)).code !== 0, 10_000)
  }, 60_000)
})
