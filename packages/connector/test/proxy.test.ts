// The real kubectl through the connector's proxy to the real kube-apiserver, with tokens from the real Infra
// server. The connector runs with the chart's ServiceAccount, so impersonation rights come from the chart.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { spawn } from 'node:child_process'
import https from 'node:https'
import { join } from 'node:path'
import { SignJWT, generateKeyPair } from 'jose'
import { pino } from 'pino'
import type { RunningConnector } from '../src/connector.js'
import { eventually, kubectlBin, percentile, run, startEnv, type InfraUser, type TestEnv } from './env.js'

const DESTINATION = 'proxied'
let env: TestEnv
let connector: RunningConnector
const logs: string[] = []
let viewer: InfraUser
let editor: InfraUser
let member: InfraUser
let connectOnly: InfraUser
let nobody: InfraUser
let execUser: InfraUser
const kubeconfigs: Record<string, string> = {}

/** `kubectl get configmaps -n web --watch` as the kubeconfig's user, collecting what it prints. */
function watchConfigMaps(kubeconfig: string, cacheDir: string) {
  const child = spawn(
    kubectlBin,
    [
      '--kubeconfig',
      kubeconfig,
      '--cache-dir',
      join(env.workDir, cacheDir),
      'get',
      'configmaps',
      '-n',
      'web',
      '--watch',
      '-o',
      'name',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => (output += chunk))
  return { child, output: () => output }
}

async function as(user: string, ...args: string[]) {
  return env.kubectl(kubeconfigs[user]!, ...args)
}

/**
 * A GET through the proxy with a bearer token; resolves with the status, or 0 when the connection was cut
 * (as it is for requests in flight when the user's grant goes away).
 */
function proxyGet(path: string, token: string): Promise<number> {
  return new Promise((resolve) => {
    const url = new URL(connector.url)
    const request = https.request(
      {
        host: url.hostname,
        port: url.port,
        path,
        ca: connector.ca,
        agent: false,
        timeout: 5_000,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      },
      (response) => {
        response.resume()
        response.on('end', () => resolve(response.statusCode ?? 0))
        response.on('close', () => resolve(response.complete ? (response.statusCode ?? 0) : 0))
      },
    )
    request.on('timeout', () => request.destroy())
    request.on('error', () => resolve(0))
    request.end()
  })
}

beforeAll(async () => {
  env = await startEnv()
  const saKubeconfig = await env.installChart('infra-system')
  for (const namespace of ['web', 'db']) await env.adminKubectl('create', 'namespace', namespace)
  connector = await env.startConnector({
    kubeconfig: saKubeconfig,
    name: DESTINATION,
    caStore: 'secret',
    namespace: 'infra-system',
    caSecret: 'infra-infra-connector-ca',
    // The default: leaving a group must take effect long before this poll could explain it.
    groupRefreshMs: 15_000,
    logger: pino({ level: 'info' }, { write: (line: string) => void logs.push(line) }),
  })
  viewer = await env.createUser('viewer@example.com')
  editor = await env.createUser('editor@example.com')
  member = await env.createUser('member@example.com')
  connectOnly = await env.createUser('connect-only@example.com')
  nobody = await env.createUser('nobody@example.com')
  execUser = await env.createUser('exec@example.com')
  const team = await env.createGroup('team', [member.id])
  await env.grant({ user: viewer.id, privilege: 'view', resource: `${DESTINATION}.web` })
  await env.grant({ user: editor.id, privilege: 'edit', resource: `${DESTINATION}.web` })
  await env.grant({ group: team, privilege: 'view', resource: `${DESTINATION}.db` })
  await env.grant({ user: connectOnly.id, privilege: 'connect', resource: DESTINATION })
  await env.grant({ user: execUser.id, privilege: 'exec', resource: `${DESTINATION}.web` })
  await env.grant({ user: execUser.id, privilege: 'port-forward', resource: `${DESTINATION}.web` })
  await env.grant({ user: execUser.id, privilege: 'logs', resource: `${DESTINATION}.web` })
  await eventually(async () => {
    const report = await connector.reconciled()
    return report.problems.length === 0 && report.skipped.length === 0 && report
  })
  for (const user of [viewer, editor, member, connectOnly, nobody, execUser]) {
    kubeconfigs[user.name] = env.userKubeconfig(
      user.name.split('@')[0]!,
      connector,
      await env.token(user, DESTINATION),
    )
  }
  // A pod for exec/logs/port-forward (it stays Pending: the harness runs no nodes).
  await env.adminKubectl(
    'run',
    'app',
    '-n',
    'web',
    '--image=busybox',
    '--restart=Never',
    '--',
    'sleep',
    '3600',
  )
})

afterAll(async () => {
  await env?.close()
})

describe('kubectl through the proxy', () => {
  it('lets a user with view on a namespace list pods there, and not in another namespace', async () => {
    const allowed = await as('viewer@example.com', 'get', 'pods', '-n', 'web', '-o', 'name')
    expect(allowed.stderr).toBe('')
    expect(allowed.code).toBe(0)
    expect(allowed.stdout.trim()).toBe('pod/app')
    const denied = await as('viewer@example.com', 'get', 'pods', '-n', 'db')
    expect(denied.code).not.toBe(0)
    expect(denied.stderr).toMatch(
      /forbidden: User "viewer@example.com" cannot list resource "pods".* in the namespace "db"/,
    )
  })

  it('lets a user with edit create a ConfigMap, and not a viewer', async () => {
    const created = await as(
      'editor@example.com',
      'create',
      'configmap',
      'made-by-editor',
      '-n',
      'web',
      '--from-literal=a=b',
    )
    expect(created.stderr).toBe('')
    expect(
      (await env.adminKubectl('get', 'configmap', 'made-by-editor', '-n', 'web', '-o', 'name')).trim(),
    ).toBe('configmap/made-by-editor')
    const denied = await as('viewer@example.com', 'create', 'configmap', 'made-by-viewer', '-n', 'web')
    expect(denied.stderr).toMatch(/forbidden/)
  })

  it('applies group grants through the token’s groups', async () => {
    const result = await as('member@example.com', 'get', 'pods', '-n', 'db')
    expect(result.code).toBe(0)
    const whoami = JSON.parse((await as('member@example.com', 'auth', 'whoami', '-o', 'json')).stdout)
    expect(whoami.status.userInfo.username).toBe('member@example.com')
    expect(whoami.status.userInfo.groups).toEqual(expect.arrayContaining(['team', 'system:authenticated']))
  })

  it('answers kubectl auth can-i (a protobuf SelfSubjectAccessReview) as the user', async () => {
    expect((await as('viewer@example.com', 'auth', 'can-i', 'list', 'pods', '-n', 'web')).stdout.trim()).toBe(
      'yes',
    )
    expect(
      (await as('viewer@example.com', 'auth', 'can-i', 'create', 'pods', '-n', 'web')).stdout.trim(),
    ).toBe('no')
    expect(
      (await as('editor@example.com', 'auth', 'can-i', 'create', 'configmaps', '-n', 'web')).stdout.trim(),
    ).toBe('yes')
  })

  it('authenticates a user with only connect, who can do nothing else', async () => {
    const whoami = await as(
      'connect-only@example.com',
      'auth',
      'whoami',
      '-o',
      'jsonpath={.status.userInfo.username}',
    )
    expect(whoami.stdout).toBe('connect-only@example.com')
    const denied = await as('connect-only@example.com', 'get', 'pods', '-n', 'web')
    expect(denied.stderr).toMatch(/forbidden: User "connect-only@example.com"/)
  })

  it('refuses a user without any grant on the destination', async () => {
    const result = await as('nobody@example.com', 'get', 'pods', '-n', 'web')
    expect(result.code).not.toBe(0)
    expect(result.stderr).toMatch(/nobody@example.com has no grant on this destination/)
  })

  it('refuses forged, garbage and unsigned tokens with 401', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' })
    const forged = await new SignJWT({ name: 'viewer@example.com', groups: [] })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'forged' })
      .setIssuer('infra')
      .setAudience('infra')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey)
    const genuine = await env.token(viewer, DESTINATION)
    const [header, payload] = genuine.split('.')
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`
    const resigned = `${header}.${Buffer.from(JSON.stringify({ name: 'admin', groups: ['system:masters'], iss: 'infra', aud: 'infra', exp: 9999999999, iat: 1 })).toString('base64url')}.${genuine.split('.')[2]}`
    for (const token of [forged, 'garbage', unsigned, resigned, env.adminKey]) {
      const config = env.userKubeconfig('attacker', connector, token)
      const result = await env.kubectl(config, 'get', 'pods', '-n', 'web')
      expect(result.code).not.toBe(0)
      expect(result.stderr).toMatch(/Unauthorized|must be logged in/)
    }
  })

  it('refuses with 401 a token the server minted for another destination, or for none', async () => {
    // The same server, the same keys, a user granted here: only the token's destination differs.
    const elsewhere = await env.token(viewer, `${DESTINATION}-b`)
    const { token: unbound } = (
      await env.request<{ token: string }>('POST', '/api/tokens', { body: {}, key: viewer.key })
    ).body
    for (const token of [elsewhere, unbound]) {
      const result = await env.kubectl(
        env.userKubeconfig('replayer', connector, token),
        'get',
        'pods',
        '-n',
        'web',
      )
      expect(result.code).not.toBe(0)
      expect(result.stderr).toMatch(/Unauthorized|must be logged in/)
    }
    const genuine = env.userKubeconfig('replayer', connector, await env.token(viewer, DESTINATION))
    expect((await env.kubectl(genuine, 'get', 'pods', '-n', 'web')).code).toBe(0)
  })

  it('refuses kubectl --as / --as-group (client-sent impersonation) with 400', async () => {
    for (const args of [
      ['--as', 'admin'],
      ['--as', 'viewer@example.com', '--as-group', 'system:masters'],
      ['--as-uid', '0', '--as', 'admin'],
    ]) {
      const result = await as('viewer@example.com', ...args, 'get', 'secrets', '-n', 'web')
      expect(result.code).not.toBe(0)
      expect(result.stderr).toMatch(/the header Impersonate-\w+ is not allowed/i)
    }
  })

  it('streams kubectl get --watch', async () => {
    const watch = watchConfigMaps(kubeconfigs['viewer@example.com']!, 'watch-cache')
    try {
      await eventually(() => watch.output().includes('configmap/made-by-editor'), 15_000)
      await env.adminKubectl('create', 'configmap', 'watched-1', '-n', 'web')
      await eventually(() => watch.output().includes('configmap/watched-1'), 10_000)
      await env.adminKubectl('create', 'configmap', 'watched-2', '-n', 'web')
      await eventually(() => watch.output().includes('configmap/watched-2'), 10_000)
    } finally {
      watch.child.kill()
    }
  })

  it('handles a large list response', async () => {
    const items = Array.from({ length: 60 }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `large-${i}`, namespace: 'db' },
      data: { payload: 'x'.repeat(50_000) },
    }))
    const created = await run(kubectlBin, ['--kubeconfig', env.kube.kubeconfigPath, 'create', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }),
    })
    expect(created.stderr).toBe('')
    const through = await as('member@example.com', 'get', 'configmaps', '-n', 'db', '-o', 'json')
    expect(through.code).toBe(0)
    const list = JSON.parse(through.stdout)
    expect(list.items.filter((item: any) => item.metadata.name.startsWith('large-'))).toHaveLength(60)
    expect(through.stdout.length).toBeGreaterThan(3_000_000)
  })

  it('passes exec, logs and port-forward requests through to the API server as the user', async () => {
    // With the exec role, the API server itself answers: the pod has no node to run on.
    const exec = await as('exec@example.com', 'exec', 'app', '-n', 'web', '--', 'true')
    expect(exec.code).not.toBe(0)
    expect(exec.stderr).toMatch(/does not have a host assigned/)
    expect(exec.stderr).not.toMatch(/forbidden|Unauthorized/i)
    // kubectl port-forward insists on a Running pod before it upgrades: mark it so (there is no kubelet).
    await env.adminKubectl(
      'patch',
      'pod',
      'app',
      '-n',
      'web',
      '--subresource=status',
      '-p',
      '{"status":{"phase":"Running"}}',
    )
    const forward = await as('exec@example.com', 'port-forward', 'pod/app', '-n', 'web', '18080:80')
    expect(forward.stderr).toMatch(/does not have a host assigned|pod is not running|Pending/)
    expect(forward.stderr).not.toMatch(/forbidden/i)
    const logsResult = await as('exec@example.com', 'logs', 'app', '-n', 'web')
    expect(logsResult.stderr).not.toMatch(/forbidden/i)
    // Without it, RBAC refuses the impersonated user.
    const denied = await as('viewer@example.com', 'exec', 'app', '-n', 'web', '--', 'true')
    expect(denied.stderr).toMatch(/cannot create resource "pods\/exec"|forbidden/)
    // The upgrade requests reached the API server: audit lines show them as the user.
    const audits = logs
      .map((line) => JSON.parse(line))
      .filter((line) => line.audit && line.user === 'exec@example.com')
    expect(audits.some((line) => line.path === '/api/v1/namespaces/web/pods/app/exec')).toBe(true)
    expect(audits.some((line) => line.path === '/api/v1/namespaces/web/pods/app/portforward')).toBe(true)
  })

  it('writes audit lines with user, groups, verb, path, status and duration, and never a token', () => {
    const audits = logs.map((line) => JSON.parse(line)).filter((line) => line.audit)
    const list = audits.find(
      (line) => line.user === 'viewer@example.com' && line.path === '/api/v1/namespaces/web/pods',
    )
    expect(list).toMatchObject({ verb: 'list', status: 200, groups: [] })
    expect(typeof list.durationMs).toBe('number')
    const text = logs.join('\n')
    for (const user of [viewer, editor, member]) expect(text).not.toContain(user.key)
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/)
  })
})

describe('revocation', () => {
  it('denies the next request within a second of the grant being removed', async () => {
    const times: number[] = []
    for (let i = 0; i < 5; i++) {
      const user = await env.createUser(`revoked-${i}@example.com`)
      const grant = await env.grant({ user: user.id, privilege: 'view', resource: `${DESTINATION}.web` })
      const token = await env.token(user, DESTINATION)
      await eventually(async () => (await proxyGet('/api/v1/namespaces/web/pods', token)) === 200, 5_000)
      const start = performance.now()
      await env.revoke(grant)
      await eventually(async () => (await proxyGet('/api/v1/namespaces/web/pods', token)) === 403, 5_000, 5)
      times.push(performance.now() - start)
    }
    console.log(
      `proxy revocation (ms, grant deleted to request refused): p50 ${Math.round(percentile(times, 50))}, max ${Math.round(Math.max(...times))}`,
    )
    expect(Math.max(...times)).toBeLessThan(1_000)
  })

  it.each([
    [
      'removed from the group',
      (group: string, user: InfraUser) =>
        env.request('PATCH', `/api/groups/${group}/users`, { body: { usersToRemove: [user.id] } }),
    ],
    ['deleted', (_group: string, user: InfraUser) => env.request('DELETE', `/api/users/${user.id}`)],
  ])(
    'refuses a user %s within a second, before their token expires, when a group held the grant',
    async (how, remove) => {
      const times: number[] = []
      for (let i = 0; i < 3; i++) {
        const tag = `${how.split(' ')[0]}-${i}`
        const leaver = await env.createUser(`leaver-${tag}@example.com`)
        const stayer = await env.createUser(`stayer-${tag}@example.com`)
        const group = await env.createGroup(`leavers-${tag}`, [leaver.id, stayer.id])
        await env.grant({ group, privilege: 'view', resource: `${DESTINATION}.web` })
        const [leaverToken, stayerToken] = [
          await env.token(leaver, DESTINATION),
          await env.token(stayer, DESTINATION),
        ]
        await eventually(
          async () => (await proxyGet('/api/v1/namespaces/web/pods', leaverToken)) === 200,
          5_000,
        )
        const start = performance.now()
        const removed = await remove(group, leaver)
        expect(removed.status).toBeLessThan(300)
        await eventually(
          async () => (await proxyGet('/api/v1/namespaces/web/pods', leaverToken)) === 403,
          5_000,
          5,
        )
        times.push(performance.now() - start)
        expect(await proxyGet('/api/v1/namespaces/web/pods', stayerToken)).toBe(200)
      }
      console.log(
        `proxy revocation (ms, user ${how} to request refused): p50 ${Math.round(percentile(times, 50))}, max ${Math.round(Math.max(...times))}`,
      )
      expect(Math.max(...times)).toBeLessThan(1_000)
    },
  )

  it('closes an open kubectl watch when the user’s grant is removed', async () => {
    const user = await env.createUser('watcher@example.com')
    const grant = await env.grant({ user: user.id, privilege: 'view', resource: `${DESTINATION}.web` })
    await eventually(async () => (await connector.reconciled()).skipped.length === 0)
    const config = env.userKubeconfig('watcher', connector, await env.token(user, DESTINATION))
    const watch = watchConfigMaps(config, 'watch-cache-2')
    const exited = new Promise<number | null>((resolve) => watch.child.once('exit', (code) => resolve(code)))
    try {
      await eventually(() => watch.output().includes('configmap/'), 15_000)
      const start = performance.now()
      await env.revoke(grant)
      const code = await Promise.race([
        exited,
        new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5_000)),
      ])
      expect(code).not.toBe('timeout')
      expect(performance.now() - start).toBeLessThan(3_000)
    } finally {
      watch.child.kill()
    }
  })
})
