// Unit tests of the pieces that need neither a cluster nor a server.
import { describe, expect, it } from '@jest/globals'
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { AccessList } from '../src/auth/access.js'
import { TokenVerifier } from '../src/auth/tokens.js'
import { parseDuration } from '@infra/api-types'
import { eventually } from '@infra/test-harness'
import { ConfigError, parseConfig, parseListen } from '../src/config.js'
import { ProxyCertificates, type ServingCertificate } from '../src/components/proxy-certificates.js'
import { checkPath, checkRequestHeaders } from '../src/proxy/headers.js'
import { describeRequest, recordedRequestUri } from '../src/audit/kube-request.js'
import { bindingName, planBindings } from '../src/rbac/reconciler.js'
import { destinationLabelValue } from '../src/rbac/labels.js'
import { isEligibleRole } from '../src/registration.js'
import { endpointHost, generateAuthority, issueServingCertificate } from '../src/tls/authority.js'
import { DirectoryStore, loadOrCreateAuthority } from '../src/tls/store.js'
import { FIXTURE_DESTINATION, newKeys, signToken } from './fake-upstream.js'

const required = [
  '--server',
  'https://infra.example.com',
  '--access-key',
  'k',
  '--name',
  'prod',
  '--endpoint',
  'h:443',
]

describe('configuration', () => {
  it('reads flags, with environment fallbacks', () => {
    const parsed = parseConfig(
      [...required, '--role', 'extra', '--tls-san', 'a.example', '--tls-san', '10.0.0.1', '--resync', '2m'],
      { INFRA_CONNECTOR_ROLES: 'one, two' },
    )
    if (parsed.help) throw new Error('unexpected help')
    expect(parsed.config).toMatchObject({
      server: 'https://infra.example.com',
      accessKey: 'k',
      name: 'prod',
      endpoint: 'h:443',
      listen: ':443',
      healthListen: ':8081',
      roles: ['one', 'two', 'extra'],
      tlsSans: ['a.example', '10.0.0.1'],
      resyncMs: 120_000,
      heartbeatMs: 30_000,
    })
    const fromEnv = parseConfig([], {
      INFRA_SERVER: 'infra:8443',
      INFRA_ACCESS_KEY: 'key',
      INFRA_CONNECTOR_NAME: 'dev',
      INFRA_CONNECTOR_ENDPOINT: 'https://dev.example.com:443/',
      INFRA_CONNECTOR_LISTEN: '127.0.0.1:9443',
      INFRA_CONNECTOR_OWNER_CLUSTER_ROLE: 'infra-connector',
    })
    if (fromEnv.help) throw new Error('unexpected help')
    expect(fromEnv.config).toMatchObject({
      server: 'infra:8443',
      name: 'dev',
      endpoint: 'dev.example.com:443',
      ownerClusterRole: 'infra-connector',
    })
  })

  it('reads the access key from a file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'connector-config-')), 'key')
    writeFileSync(file, 'from-file\n')
    const parsed = parseConfig(
      ['--server', 's', '--access-key-file', file, '--name', 'n', '--endpoint', 'e:1'],
      {},
    )
    expect(!parsed.help && parsed.config.accessKey).toBe('from-file')
  })

  it('answers --help', () => {
    expect(parseConfig(['--help'], {})).toEqual({ help: true })
  })

  it.each([
    [[], /--server/],
    [['--server', 's'], /--access-key/],
    [['--server', 's', '--access-key', 'k'], /--name/],
    [
      ['--server', 's', '--access-key', 'k', '--name', 'bad name', '--endpoint', 'e:1'],
      /not a valid destination/,
    ],
    [
      ['--server', 's', '--access-key', 'k', '--name', 'infra', '--endpoint', 'e:1'],
      /not a valid destination/,
    ],
    [['--server', 's', '--access-key', 'k', '--name', 'n'], /--endpoint/],
    [[...required, '--listen', 'nonsense'], /listen address/],
    [[...required, '--ca-cert', 'x'], /go together/],
    [[...required, '--role', 'system:masters'], /never eligible/],
    [[...required, '--resync', 'soon'], /invalid duration/],
    [[...required, '--heartbeat', '500'], /invalid duration/],
    [[...required, '--group-refresh', '0s'], /must be positive/],
    [[...required, '--unknown'], /Unknown option/],
    [[...required, '--audit', 'sometimes'], /use best-effort, fail-closed, off/],
    [[...required, '--audit-buffer', '0'], /at least 1/],
    [[...required, '--audit-buffer', 'lots'], /a number of events/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseConfig(argv, {})).toThrow(ConfigError)
    expect(() => parseConfig(argv, {})).toThrow(message)
  })

  it('parses durations and listen addresses', () => {
    expect(parseDuration('500ms')).toBe(500)
    expect(parseDuration('1.5s')).toBe(1500)
    expect(parseDuration('1h')).toBe(3_600_000)
    const parsed = parseConfig([...required, '--resync', '1h30m', '--group-refresh', '1m30s'], {})
    expect(!parsed.help && [parsed.config.resyncMs, parsed.config.groupRefreshMs]).toEqual([
      5_400_000, 90_000,
    ])
    const audit = parseConfig([...required, '--audit-buffer', '500'], {
      INFRA_CONNECTOR_AUDIT: 'fail-closed',
    })
    expect(!audit.help && [audit.config.audit, audit.config.auditBuffer]).toEqual(['fail-closed', 500])
    const defaults = parseConfig(required, {})
    expect(!defaults.help && [defaults.config.audit, defaults.config.auditBuffer]).toEqual([
      'best-effort',
      10_000,
    ])
    expect(parseListen(':443')).toEqual({ host: '', port: 443 })
    expect(parseListen('[::1]:8443')).toEqual({ host: '::1', port: 8443 })
    expect(() => parseListen('host:99999')).toThrow()
    expect(endpointHost('example.com:443')).toBe('example.com')
    expect(endpointHost('[::1]:443')).toBe('::1')
    expect(endpointHost('10.0.0.1')).toBe('10.0.0.1')
  })
})

describe('roles and bindings', () => {
  const role = (name: string, labels: Record<string, string> = {}) => ({ metadata: { name, labels } })
  it('makes the default roles, configured roles and labelled roles eligible, never system:*', () => {
    expect(isEligibleRole(role('view'))).toBe(true)
    expect(isEligibleRole(role('cluster-admin'))).toBe(true)
    expect(isEligibleRole(role('custom'))).toBe(false)
    expect(isEligibleRole(role('custom'), ['custom'])).toBe(true)
    expect(isEligibleRole(role('custom', { 'app.infrahq.com/include-role': 'true' }))).toBe(true)
    expect(isEligibleRole(role('custom', { 'app.infrahq.com/include-role': 'yes' }))).toBe(false)
    expect(isEligibleRole(role('system:aggregate-to-view', { 'app.infrahq.com/include-role': 'true' }))).toBe(
      false,
    )
    expect(isEligibleRole(role('system:auth-delegator'), ['system:auth-delegator'])).toBe(false)
  })

  it('plans one binding per role and scope with sorted, unique subjects', () => {
    const plan = planBindings('prod', [
      { kind: 'RoleBinding', namespace: 'web', role: 'view', subject: { kind: 'User', name: 'b' } },
      { kind: 'RoleBinding', namespace: 'web', role: 'view', subject: { kind: 'User', name: 'a' } },
      { kind: 'RoleBinding', namespace: 'web', role: 'view', subject: { kind: 'User', name: 'a' } },
      { kind: 'RoleBinding', namespace: 'web', role: 'view', subject: { kind: 'Group', name: 'a' } },
      { kind: 'RoleBinding', namespace: 'db', role: 'view', subject: { kind: 'User', name: 'a' } },
      { kind: 'ClusterRoleBinding', role: 'view', subject: { kind: 'User', name: 'a' } },
    ])
    expect(plan).toHaveLength(3)
    expect(plan[0]).toMatchObject({ kind: 'RoleBinding', namespace: 'web', name: 'infra:prod:view' })
    expect(plan[0]!.subjects.map((subject) => `${subject.kind}:${subject.name}`)).toEqual([
      'Group:a',
      'User:a',
      'User:b',
    ])
  })

  it('keeps names and label values within Kubernetes limits', () => {
    expect(bindingName('prod', 'view')).toBe('infra:prod:view')
    const long = bindingName('d'.repeat(253), 'r'.repeat(253))
    expect(long.length).toBeLessThanOrEqual(253)
    expect(long).not.toBe(bindingName('d'.repeat(253), `${'r'.repeat(252)}x`))
    expect(destinationLabelValue('prod')).toBe('prod')
    expect(destinationLabelValue('d'.repeat(64))).toMatch(/^h-[0-9a-f]{40}$/)
    expect(destinationLabelValue('-starts-with-dash')).toMatch(/^h-/)
  })
})

describe('request checks', () => {
  it('derives the Kubernetes verb for the audit log', () => {
    const verb = (method: string, url: string) => describeRequest(method, url).verb
    expect(verb('GET', '/api/v1/namespaces/web/pods')).toBe('list')
    expect(verb('GET', '/api/v1/namespaces/web/pods/p')).toBe('get')
    expect(verb('GET', '/api/v1/namespaces/web/pods?watch=true')).toBe('watch')
    expect(verb('GET', '/api/v1/watch/namespaces/web/pods')).toBe('watch')
    expect(verb('GET', '/api/v1/namespaces')).toBe('list')
    expect(verb('GET', '/api/v1/namespaces/web')).toBe('get')
    expect(verb('GET', '/apis/apps/v1/deployments')).toBe('list')
    expect(verb('POST', '/api/v1/namespaces/web/configmaps')).toBe('create')
    expect(verb('DELETE', '/api/v1/namespaces/web/configmaps')).toBe('deletecollection')
    expect(verb('DELETE', '/api/v1/namespaces/web/configmaps/c')).toBe('delete')
    expect(verb('PATCH', '/api/v1/namespaces/web/configmaps/c')).toBe('patch')
    expect(verb('GET', '/version')).toBe('get')
  })

  it('names the group, version, resource, sub-resource, namespace and name as the API server does', () => {
    expect(describeRequest('GET', '/apis/apps/v1/namespaces/web/deployments/d/scale?x=1')).toEqual({
      verb: 'get',
      apiGroup: 'apps',
      apiVersion: 'v1',
      resource: 'deployments',
      subresource: 'scale',
      namespace: 'web',
      name: 'd',
      discovery: false,
    })
    expect(describeRequest('POST', '/api/v1/namespaces/web/pods/p/exec?command=sh')).toMatchObject({
      verb: 'create',
      apiGroup: '',
      resource: 'pods',
      subresource: 'exec',
      name: 'p',
    })
    // A namespace's own sub-resources are not resource types inside it.
    expect(describeRequest('PUT', '/api/v1/namespaces/web/finalize')).toMatchObject({
      resource: 'namespaces',
      name: 'web',
      subresource: 'finalize',
    })
    expect(describeRequest('GET', '/api/v1/nodes')).not.toHaveProperty('namespace')
  })

  it('tells discovery requests from resource requests', () => {
    for (const path of [
      '/api',
      '/api/v1',
      '/apis',
      '/apis/apps',
      '/apis/apps/v1',
      '/version',
      '/openapi/v3/apis/apps/v1',
    ])
      expect(describeRequest('GET', path).discovery).toBe(true)
    for (const path of ['/api/v1/pods', '/apis/apps/v1/deployments', '/healthz', '/versions'])
      expect(describeRequest('GET', path).discovery).toBe(false)
  })

  it('records request targets without secret-looking query values', () => {
    expect(recordedRequestUri('/api/v1/pods?labelSelector=app%3Dx&limit=500')).toBe(
      '/api/v1/pods?labelSelector=app%3Dx&limit=500',
    )
    expect(recordedRequestUri('/api/v1/namespaces/w/services/s/proxy/?access_token=abc&x=1&Api%4BEY=k')).toBe(
      '/api/v1/namespaces/w/services/s/proxy/?access_token=REDACTED&x=1&Api%4BEY=REDACTED',
    )
    expect(recordedRequestUri('/x?password=p&session=s&flag')).toBe(
      '/x?password=REDACTED&session=REDACTED&flag',
    )
    expect(recordedRequestUri('/api/v1/pods')).toBe('/api/v1/pods')
  })

  it('keeps encoded characters in the query (label selectors) but not in the path', () => {
    expect(checkPath('/api/v1/pods?labelSelector=app.kubernetes.io%2Fname%3Dx')).toBeUndefined()
    expect(checkPath('/api/v1/namespaces/a%2Fb/pods')).toBeDefined()
    expect(checkPath('/api/v1/namespaces/a..b/pods')).toBeUndefined()
  })

  it('rebuilds the upgrade headers and drops hop-by-hop ones', () => {
    const check = checkRequestHeaders(
      [
        'Authorization',
        'Bearer t',
        'Connection',
        'Upgrade, X-Drop',
        'Upgrade',
        'websocket',
        'X-Drop',
        '1',
        'Host',
        'h',
      ],
      true,
    )
    expect(check).toEqual({
      ok: true,
      token: 't',
      headers: ['Connection', 'Upgrade', 'Upgrade', 'websocket'],
      upgrade: 'websocket',
    })
  })
})

describe('access list', () => {
  it('counts a group grant only for current members, once they are known', () => {
    const before = new AccessList(new Set(['alice']), new Set(['devs', 'ops']))
    expect(before.allows('bob', ['devs'])).toBe(true)
    const after = before.with(new Map([['devs', new Set(['carol'])]]))
    expect(after.allows('bob', ['devs'])).toBe(false)
    expect(after.allows('carol', ['devs'])).toBe(true)
    // Members of ops are not known yet: the token is trusted.
    expect(after.allows('bob', ['devs', 'ops'])).toBe(true)
    expect(after.impersonatedGroups('bob', ['devs', 'ops', 'elsewhere', 'system:masters'])).toEqual([
      'ops',
      'elsewhere',
    ])
    expect(after.allows('system:admin', ['ops'])).toBe(false)
  })
})

describe('token verifier', () => {
  it('accepts tokens of a newly published key after one refetch, and forgets removed keys', async () => {
    const first = await newKeys('first')
    const second = await newKeys('second')
    const published = { keys: [first.jwk] as Array<Record<string, unknown>> }
    let fetches = 0
    const verifier = new TokenVerifier(
      {
        fetchKeys: () => {
          fetches++
          return Promise.resolve(structuredClone(published))
        },
      },
      FIXTURE_DESTINATION,
      { refetchCooldownMs: 0 },
    )
    await verifier.refresh()
    const early = await signToken(first, { name: 'alice', groups: ['g'] })
    expect(await verifier.verify(early)).toMatchObject({ name: 'alice', groups: ['g'] })
    // Rotation: the server publishes a new key and signs with it.
    published.keys = [first.jwk, second.jwk]
    const rotated = await signToken(second, { name: 'bob' })
    expect((await verifier.verify(rotated)).name).toBe('bob')
    expect(fetches).toBe(2)
    // The first key is withdrawn: its tokens stop verifying, even ones seen before.
    published.keys = [second.jwk]
    await verifier.refresh()
    await expect(verifier.verify(early)).rejects.toThrow(/unknown key/)
  })

  it('never takes a private or symmetric key from the key set', async () => {
    const keys = await newKeys('k')
    const verifier = new TokenVerifier(
      { fetchKeys: () => Promise.resolve({ keys: [{ kty: 'oct', kid: 'k', k: 'c2VjcmV0' }] }) },
      FIXTURE_DESTINATION,
    )
    await verifier.refresh()
    expect(verifier.keyCount).toBe(0)
    await expect(verifier.verify(await signToken(keys))).rejects.toThrow(/unknown key/)
  })
})

describe('certificate authority', () => {
  it('issues serving certificates for the endpoint that chain to the CA', async () => {
    const authority = await generateAuthority('Test CA')
    const serving = await issueServingCertificate(authority, ['connector.example.com', '10.1.2.3', '[::1]'])
    const certificate = new X509Certificate(serving.certificate)
    const ca = new X509Certificate(authority.certificate)
    expect(ca.ca).toBe(true)
    expect(certificate.verify(ca.publicKey)).toBe(true)
    expect(certificate.checkHost('connector.example.com')).toBe('connector.example.com')
    expect(certificate.checkIP('10.1.2.3')).toBe('10.1.2.3')
    expect(certificate.checkIP('::1')).toBe('::1')
    expect(certificate.checkHost('other.example.com')).toBeUndefined()
  })

  it('logs a failed renewal of the proxy certificate and retries it until one succeeds', async () => {
    const authority = await generateAuthority('Test CA')
    const lines: Array<{ msg: string; err?: { message: string } }> = []
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) })
    // An unhandled rejection would end the connector's process.
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => void unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    let issued = 0
    const failingOnce: typeof issueServingCertificate = (...args) =>
      ++issued === 2 ? Promise.reject(new Error('signing failed')) : issueServingCertificate(...args)
    const certificates = await ProxyCertificates.issue(
      authority,
      ['connector.example.com'],
      logger,
      { checkEveryMs: 20, renewWithinMs: Number.POSITIVE_INFINITY, retry: { initialMs: 10, maxMs: 10 } },
      failingOnce,
    )
    const first = certificates.current
    const renewed: ServingCertificate[] = []
    certificates.start((next) => renewed.push(next))
    try {
      await eventually(() => renewed.length > 0)
    } finally {
      certificates.stop()
      process.off('unhandledRejection', onUnhandled)
    }
    expect(unhandled).toEqual([])
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'could not renew the proxy certificate',
        err: expect.objectContaining({ message: 'signing failed' }),
      }),
    )
    expect(issued).toBeGreaterThanOrEqual(3)
    expect(renewed[0]?.certificate).not.toBe(first.certificate)
    expect(
      new X509Certificate(renewed[0]?.certificate ?? '').verify(
        new X509Certificate(authority.certificate).publicKey,
      ),
    ).toBe(true)
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'renewed the proxy certificate' }))
  })

  it('generates the CA once and keeps it in the state directory', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'connector-ca-')), 'state')
    const logger = pino({ level: 'silent' })
    const first = await loadOrCreateAuthority(new DirectoryStore(dir), 'CA', logger)
    const second = await loadOrCreateAuthority(new DirectoryStore(dir), 'CA', logger)
    expect(second.certificate).toBe(first.certificate)
    expect(readFileSync(join(dir, 'ca.crt'), 'utf8')).toBe(first.certificate)
    expect(statSync(join(dir, 'ca.key')).mode & 0o077).toBe(0)
  })
})
