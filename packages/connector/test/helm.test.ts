// The Helm chart: helm lint and helm template (helm v3.17.2 from scripts/helm.sh), checks of the rendered
// objects, and `helm install --dry-run=server` of each documented values combination against the real
// kube-apiserver, its objects then applied with `kubectl apply --dry-run=server`.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { loadAllYaml } from '@kubernetes/client-node'
import { dryRunInstall } from '@infra/test-harness/helm'
import { startKubeApiServer, type KubeApiServer } from '@infra/test-harness/kube'
import { chartDir, helm, kubectlBin, run } from './env.js'

const base = [
  'server.url=https://infra.example.com',
  'name=prod',
  'endpoint=203.0.113.10:443',
  'accessKey.value=secret-key',
]

/** The YAML documents of `helm template`. */
async function render(values: string[], namespace = 'infra'): Promise<string[]> {
  const result = await helm(
    'template',
    'infra',
    chartDir,
    '--namespace',
    namespace,
    ...values.flatMap((value) => ['--set', value]),
  )
  if (result.code !== 0) throw new Error(result.stderr)
  return result.stdout
    .split(/^---$/m)
    .map((document) => document.trim())
    .filter((document) => document.replace(/^#.*$/gm, '').trim() !== '')
}

/** The rendered objects, parsed. */
async function toObjects(values: string[]): Promise<any[]> {
  return (await render(values)).flatMap((document) => loadAllYaml(document))
}

const find = (objects: any[], kind: string, name?: string) =>
  objects.find((object) => object.kind === kind && (name === undefined || object.metadata.name === name))

let kube: KubeApiServer

beforeAll(async () => {
  kube = await startKubeApiServer()
})

afterAll(async () => {
  await kube?.stop()
})

describe('helm chart', () => {
  it('passes helm lint, with and without values', async () => {
    const withValues = await helm('lint', chartDir, ...base.flatMap((value) => ['--set', value]))
    expect(withValues.stdout).toContain('1 chart(s) linted, 0 chart(s) failed')
    expect(withValues.code).toBe(0)
    const strict = await helm('lint', '--strict', chartDir, ...base.flatMap((value) => ['--set', value]))
    expect(strict.code).toBe(0)
  })

  it('refuses to render without the required values, saying which', async () => {
    for (const [missing, message] of [
      ['server.url', /server.url is required/],
      ['name', /name is required/],
      ['endpoint', /endpoint is required/],
      ['accessKey.value', /accessKey.value or accessKey.existingSecret is required/],
    ] as const) {
      const values = base.filter((value) => !value.startsWith(`${missing}=`))
      const result = await helm('template', 'infra', chartDir, ...values.flatMap((value) => ['--set', value]))
      expect(result.code).not.toBe(0)
      expect(result.stderr).toMatch(message)
    }
    const bad = await helm(
      'template',
      'infra',
      chartDir,
      ...[...base, 'name=bad.name'].flatMap((v) => ['--set', v]),
    )
    expect(bad.stderr).toMatch(/only letters, digits/)
  })

  it('renders the Deployment, ServiceAccount, least-privilege RBAC, Service and access key Secret', async () => {
    const objects = await toObjects(base)
    expect(objects.map((object) => `${object.kind}/${object.metadata.name}`).sort()).toEqual(
      [
        'ClusterRole/exec',
        'ClusterRole/infra-infra-connector',
        'ClusterRole/logs',
        'ClusterRole/port-forward',
        'ClusterRoleBinding/infra-infra-connector',
        'Deployment/infra-infra-connector',
        'Role/infra-infra-connector',
        'RoleBinding/infra-infra-connector',
        'Secret/infra-infra-connector-access-key',
        'Secret/infra-infra-connector-ca',
        'Service/infra-infra-connector',
        'ServiceAccount/infra-infra-connector',
      ].sort(),
    )
    const role = find(objects, 'ClusterRole', 'infra-infra-connector')
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['users', 'groups'], verbs: ['impersonate'] },
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] },
      {
        apiGroups: ['rbac.authorization.k8s.io'],
        resources: ['clusterroles'],
        verbs: ['get', 'list', 'watch'],
      },
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['bind'] },
      {
        apiGroups: ['rbac.authorization.k8s.io'],
        resources: ['clusterrolebindings', 'rolebindings'],
        verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
      },
    ])
    // Never impersonation of service accounts, UIDs or extras; no access to secrets cluster-wide.
    expect(JSON.stringify(role)).not.toMatch(/serviceaccounts|uids|userextras|secrets|"\*"/)
    const namespaced = find(objects, 'Role', 'infra-infra-connector')
    expect(namespaced.rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      {
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: ['infra-infra-connector-ca'],
        verbs: ['get', 'patch'],
      },
    ])
    for (const name of ['exec', 'logs', 'port-forward']) {
      expect(find(objects, 'ClusterRole', name).metadata.labels['app.infrahq.com/include-role']).toBe('true')
    }
    const service = find(objects, 'Service')
    expect(service.spec.type).toBe('LoadBalancer')
    expect(service.spec.ports[0]).toMatchObject({ port: 443, targetPort: 'https' })
    const deployment = find(objects, 'Deployment')
    const container = deployment.spec.template.spec.containers[0]
    expect(container.args).toEqual(
      expect.arrayContaining([
        '--server=https://infra.example.com',
        '--name=prod',
        '--endpoint=203.0.113.10:443',
        '--listen=:8443',
        '--ca-secret=infra-infra-connector-ca',
        '--owner-cluster-role=infra-infra-connector',
        '--audit=best-effort',
        '--audit-buffer=10000',
      ]),
    )
    expect(container.env).toEqual(
      expect.arrayContaining([
        {
          name: 'INFRA_ACCESS_KEY',
          valueFrom: { secretKeyRef: { name: 'infra-infra-connector-access-key', key: 'access-key' } },
        },
      ]),
    )
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health' })
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    })
    expect(deployment.spec.template.spec.serviceAccountName).toBe('infra-infra-connector')
    const secret = find(objects, 'Secret', 'infra-infra-connector-access-key')
    expect(Buffer.from(secret.data['access-key'], 'base64').toString()).toBe('secret-key')
    // Created empty for the connector to fill, so that uninstalling removes it and upgrades keep what it holds.
    expect(find(objects, 'Secret', 'infra-infra-connector-ca')).toEqual(
      expect.not.objectContaining({ data: expect.anything() }),
    )
  })

  it("runs this project's connector image at the chart's appVersion", async () => {
    const chart = (await helm('show', 'chart', chartDir)).stdout
    const appVersion = /^appVersion: '?([^'\n]+)'?$/m.exec(chart)?.[1]
    const container = find(await toObjects(base), 'Deployment').spec.template.spec.containers[0]
    expect(container.image).toBe(`ghcr.io/infrahq/infra-connector:${appVersion}`)
    const pinned = find(await toObjects([...base, 'image.tag=1.2.3']), 'Deployment').spec.template.spec
      .containers[0]
    expect(pinned.image).toBe('ghcr.io/infrahq/infra-connector:1.2.3')
  })

  it('takes an existing Secret, a service type, extra roles and limited binding', async () => {
    const objects = await toObjects([
      ...base.filter((value) => !value.startsWith('accessKey.value')),
      'accessKey.existingSecret=my-key',
      'accessKey.secretKey=key',
      'service.type=ClusterIP',
      'roles[0]=support',
      'rbac.bindAnyRole=false',
      'grantableRoles.create=false',
      'server.ca=-----BEGIN CERTIFICATE-----',
      'audit.mode=fail-closed',
      'audit.buffer=250000',
    ])
    expect(find(objects, 'Secret', 'my-key')).toBeUndefined()
    expect(find(objects, 'Secret', 'infra-infra-connector-access-key')).toBeUndefined()
    expect(find(objects, 'ClusterRole', 'exec')).toBeUndefined()
    expect(find(objects, 'Service').spec.type).toBe('ClusterIP')
    const container = find(objects, 'Deployment').spec.template.spec.containers[0]
    expect(container.env[0].valueFrom.secretKeyRef).toEqual({ name: 'my-key', key: 'key' })
    expect(container.args).toEqual(
      expect.arrayContaining([
        '--role=support',
        '--server-ca=/etc/infra/server-ca/ca.crt',
        '--audit=fail-closed',
        '--audit-buffer=250000',
      ]),
    )
    const bind = find(objects, 'ClusterRole', 'infra-infra-connector').rules.find((rule: any) =>
      rule.verbs.includes('bind'),
    )
    expect(bind.resourceNames).toEqual(['cluster-admin', 'admin', 'edit', 'view', 'support'])
    expect(find(objects, 'ConfigMap', 'infra-infra-connector-server-ca')).toBeDefined()
  })

  it('installs with helm --dry-run=server, and the real API server accepts the objects', async () => {
    const namespace = await run(kubectlBin, [
      '--kubeconfig',
      kube.kubeconfigPath,
      'create',
      'namespace',
      'infra',
    ])
    expect(namespace.code).toBe(0)
    for (const values of [
      base,
      [
        ...base.filter((value) => !value.startsWith('accessKey.value')),
        'accessKey.existingSecret=my-key',
        'caSecret=my-ca',
        'grantableRoles.create=false',
      ],
      [
        ...base,
        'service.type=NodePort',
        'service.nodePort=30443',
        'rbac.bindAnyRole=false',
        'roles[0]=support',
      ],
      [
        ...base,
        'server.ca=-----BEGIN CERTIFICATE-----',
        'tlsSANs[0]=connector.example.com',
        'replicaCount=2',
      ],
    ]) {
      const { manifest } = await dryRunInstall({
        chart: chartDir,
        kubeconfig: kube.kubeconfigPath,
        namespace: 'infra',
        values,
      })
      expect(manifest.split(/^---$/m).filter((document) => /^kind:/m.test(document))).toHaveLength(
        (await render(values)).length,
      )
    }
  })
})
