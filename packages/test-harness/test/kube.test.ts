// Proves the harness runs a real kube-apiserver: RBAC, token authentication and
// impersonation, exercised with the real kubectl.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import {
  startKubeApiServer,
  startRestartableKubeApiServer,
  writeKubeconfig,
  type KubeApiServer,
} from '../src/kube.js'
import { run, type Result } from '../src/processes.js'

const TIMEOUT = 180_000
const kubectlBin = process.env.KUBECTL ?? 'kubectl'
const external = Boolean(process.env.INFRA_TEST_KUBECONFIG)

let workDir = ''

async function kubectl(kubeconfig: string, ...args: string[]): Promise<Result> {
  const result = await run(
    kubectlBin,
    ['--kubeconfig', kubeconfig, '--cache-dir', path.join(workDir, 'kube-cache'), ...args],
    { timeoutMs: 60_000 },
  )
  return { code: result.code, stdout: result.stdout.trim(), stderr: result.stderr.trim() }
}

async function ok(kubeconfig: string, ...args: string[]): Promise<string> {
  const r = await kubectl(kubeconfig, ...args)
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
  return r.stdout
}

/** `kubectl auth can-i` prints yes/no and exits 1 on "no". */
async function canI(kubeconfig: string, ...args: string[]): Promise<string> {
  const r = await kubectl(kubeconfig, 'auth', 'can-i', ...args)
  if (r.code > 1) throw new Error(`kubectl auth can-i ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
  return r.stdout
}

describe('real kube-apiserver harness', () => {
  let kube: KubeApiServer
  let second: KubeApiServer | undefined
  let admin = ''
  let alice = ''
  const ns = `e2e-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`

  beforeAll(async () => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'infra-kube-test-'))
    if (external) {
      kube = await startKubeApiServer()
    } else {
      // Two clusters started concurrently must not interfere with each other.
      ;[kube, second] = await Promise.all([startKubeApiServer(), startKubeApiServer()])
    }
    admin = kube.kubeconfigPath

    await ok(admin, 'create', 'namespace', ns)
    await ok(admin, 'create', 'rolebinding', 'alice-view', '--clusterrole=view', '--user=alice', '-n', ns)
    await ok(
      admin,
      'create',
      'rolebinding',
      'viewers-view',
      '--clusterrole=view',
      '--group=e2e-viewers',
      '-n',
      ns,
    )

    const aliceToken = kube.tokens.alice
    if (aliceToken) {
      alice = writeKubeconfig(path.join(workDir, 'alice.kubeconfig'), {
        url: kube.url,
        ca: kube.ca,
        token: aliceToken,
        user: 'alice',
      })
    }
  }, TIMEOUT)

  afterAll(async () => {
    // Matters for INFRA_TEST_KUBECONFIG clusters; harness clusters are thrown away anyway.
    if (kube) await ok(kube.kubeconfigPath, 'delete', 'namespace', ns, '--wait=false').catch(() => '')
    await Promise.all([kube?.stop(), second?.stop()])
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true })
  }, TIMEOUT)

  it('serves the API over TLS with the generated CA and admin token', async () => {
    expect(kube.url).toMatch(/^https:\/\//)
    expect(kube.tokens.admin).toBeTruthy()
    const version = JSON.parse(await ok(admin, 'version', '-o', 'json')) as {
      serverVersion?: { gitVersion?: string }
    }
    expect(version.serverVersion?.gitVersion).toMatch(/^v1\.\d+\.\d+/)
    expect(await ok(admin, 'get', 'namespace', ns, '-o', 'jsonpath={.metadata.name}')).toBe(ns)
    expect(await canI(admin, '*', '*', '--all-namespaces')).toBe('yes')
  })

  const withUsers = external ? it.skip : it

  withUsers('authenticates alice by her token', async () => {
    const who = JSON.parse(await ok(alice, 'auth', 'whoami', '-o', 'json')) as {
      status?: { userInfo?: { username?: string } }
    }
    expect(who.status?.userInfo?.username).toBe('alice')
  })

  withUsers('RBAC: alice can only read in the namespace bound to her', async () => {
    expect(await canI(alice, 'list', 'pods', '-n', ns)).toBe('yes')
    expect(await canI(alice, 'list', 'pods', '-n', 'default')).toBe('no')
    expect(await canI(alice, 'delete', 'pods', '-n', ns)).toBe('no')

    expect((await kubectl(alice, 'get', 'pods', '-n', ns)).code).toBe(0)
    const denied = await kubectl(alice, 'get', 'pods', '-n', 'default')
    expect(denied.code).not.toBe(0)
    expect(denied.stderr).toMatch(/forbidden/i)
  })

  it('admin can impersonate users and groups', async () => {
    const r = await kubectl(admin, 'get', 'pods', '-n', ns, '--as', 'alice')
    expect(r.code).toBe(0)
    expect(await canI(admin, 'list', 'pods', '-n', ns, '--as', 'alice')).toBe('yes')
    expect(await canI(admin, 'list', 'pods', '-n', 'default', '--as', 'alice')).toBe('no')

    // carol has no bindings of her own; the e2e-viewers group does.
    expect(
      (await kubectl(admin, 'get', 'pods', '-n', ns, '--as', 'carol', '--as-group', 'e2e-viewers')).code,
    ).toBe(0)
    expect(await canI(admin, 'list', 'pods', '-n', ns, '--as', 'carol', '--as-group', 'e2e-viewers')).toBe(
      'yes',
    )
    expect(await canI(admin, 'list', 'pods', '-n', ns, '--as', 'carol')).toBe('no')
    const denied = await kubectl(
      admin,
      'get',
      'pods',
      '-n',
      'default',
      '--as',
      'carol',
      '--as-group',
      'e2e-viewers',
    )
    expect(denied.code).not.toBe(0)
    expect(denied.stderr).toMatch(/forbidden/i)
  })

  withUsers('alice cannot impersonate bob', async () => {
    const r = await kubectl(alice, 'get', 'pods', '-n', ns, '--as', 'bob')
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/forbidden/i)
    expect(r.stderr).toMatch(/cannot impersonate/i)
  })

  withUsers('bob has no access and an unknown token is rejected', async () => {
    const bobToken = kube.tokens.bob ?? ''
    const bob = writeKubeconfig(path.join(workDir, 'bob.kubeconfig'), {
      url: kube.url,
      ca: kube.ca,
      token: bobToken,
      user: 'bob',
    })
    expect(await canI(bob, 'list', 'pods', '-n', ns)).toBe('no')
    const nobody = writeKubeconfig(path.join(workDir, 'nobody.kubeconfig'), {
      url: kube.url,
      ca: kube.ca,
      token: 'not-a-token',
    })
    const r = await kubectl(nobody, 'get', 'pods', '-n', ns)
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/Unauthorized|provide credentials/i)
  })

  withUsers('a second concurrent cluster is independent', async () => {
    if (!second) throw new Error('second cluster not started')
    expect(second.url).not.toBe(kube.url)
    expect(second.tokens.admin).not.toBe(kube.tokens.admin)
    // The namespace only exists in the first cluster.
    const r = await kubectl(second.kubeconfigPath, 'get', 'namespace', ns)
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/not found/i)
    // First cluster's admin token is not valid on the second one.
    const crossed = writeKubeconfig(path.join(workDir, 'crossed.kubeconfig'), {
      url: second.url,
      ca: second.ca,
      token: kube.tokens.admin ?? '',
    })
    expect((await kubectl(crossed, 'get', 'namespaces')).code).not.toBe(0)
  })

  withUsers('stop() terminates the cluster and removes its files', async () => {
    if (!second) throw new Error('second cluster not started')
    const dir = path.dirname(second.kubeconfigPath)
    const saved = path.join(workDir, 'second.kubeconfig')
    fs.copyFileSync(second.kubeconfigPath, saved)
    expect((await kubectl(saved, 'get', 'namespaces')).code).toBe(0)
    await second.stop()
    await second.stop() // idempotent
    expect(fs.existsSync(dir)).toBe(false)
    const r = await kubectl(saved, '--request-timeout=5s', 'get', 'namespaces')
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/refused/i)
    second = undefined
  })

  withUsers(
    'a restartable cluster comes back on the same port with its objects and credentials',
    async () => {
      const restartable = await startRestartableKubeApiServer()
      try {
        const saved = path.join(workDir, 'restartable.kubeconfig')
        fs.copyFileSync(restartable.kubeconfigPath, saved)
        await ok(saved, 'create', 'namespace', 'kept')
        await restartable.shutDown()
        const down = await kubectl(saved, '--request-timeout=5s', 'get', 'namespaces')
        expect(down.stderr).toMatch(/refused/i)
        await restartable.startAgain()
        // The kubeconfig from before (same port, CA and token) still works, and the namespace is still there.
        expect(await ok(saved, 'get', 'namespace', 'kept', '-o', 'name')).toBe('namespace/kept')
      } finally {
        await restartable.stop()
      }
    },
  )
})
