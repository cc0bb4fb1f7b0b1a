// The server's Helm chart: helm lint, then every values combination its README documents installed with
// `helm install --dry-run=server` against the real kube-apiserver (lookup included) and its manifest applied with
// `kubectl apply --dry-run=server`; the refusals; and a real install, upgrade and uninstall on the API server
// (no node: the Pods stay Pending, which is enough for what the chart itself creates and keeps).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { X509Certificate } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { parseAllDocuments } from 'yaml'
import { run } from '@infra/test-harness'
import { dryRunInstall, helm } from '@infra/test-harness/helm'
import { startKubeApiServer, type KubeApiServer } from '@infra/test-harness/kube'

const chartDir = fileURLToPath(new URL('../helm/infra-server', import.meta.url))
const kubectlBin = process.env.KUBECTL ?? 'kubectl'
const NAMESPACE = 'infra'
const ADMIN_KEY = 'AbCdE12345.abcdefghijklmnopqrstuvwx'

/** The values combinations the chart's README documents, by name. */
const COMBINATIONS: Record<string, string[]> = {
  'embedded Postgres on a PersistentVolumeClaim (defaults)': [],
  'embedded Postgres on an emptyDir': ['persistence.enabled=false'],
  'embedded Postgres on an existing claim': ['persistence.existingClaim=infra-data'],
  'external Postgres, three replicas': [
    'database.url=postgresql://infra:pw@db.example.com/infra',
    'replicaCount=3',
  ],
  'everything from existing Secrets': [
    'database.existingSecret=db',
    'rootKey.existingSecret=root',
    'adminAccessKey.existingSecret=admin',
    'tls.existingSecret=cert-manager-tls',
    'configFile.existingSecret=config',
    'replicaCount=2',
  ],
  'bundled Postgres, two replicas': ['postgresql.enabled=true', 'replicaCount=2'],
  'bundled Postgres on an emptyDir': ['postgresql.enabled=true', 'postgresql.persistence.enabled=false'],
  'ingress with TLS passthrough': ['ingress.enabled=true', 'ingress.host=infra.example.com'],
  'ingress terminating TLS': [
    'ingress.enabled=true',
    'ingress.host=infra.example.com',
    'ingress.tlsMode=terminate',
    'ingress.tlsSecretName=infra-example-com',
    'ingress.className=nginx',
  ],
  'NodePort Service': ['service.type=NodePort', 'service.nodePort=30443'],
  'LoadBalancer Service': ['service.type=LoadBalancer', 'service.loadBalancerSourceRanges[0]=203.0.113.0/24'],
  'given keys, configuration file and extra host names': [
    `adminAccessKey.value=${ADMIN_KEY}`,
    'rootKey.value=a-root-key-of-enough-length',
    'configFile.content.users[0].name=alice@example.com',
    'configFile.content.users[0].role=admin',
    'tls.hostnames[0]=infra.internal',
    'service.clusterIP=10.0.0.200',
  ],
  'kept on uninstall': ['keepOnUninstall=true', 'postgresql.enabled=true'],
}

const setArgs = (values: string[]) => values.flatMap((value) => ['--set', value])

/** The objects of `helm template`, parsed. */
async function render(values: string[]): Promise<any[]> {
  const result = await helm('template', 'infra', chartDir, '--namespace', NAMESPACE, ...setArgs(values))
  if (result.code !== 0) throw new Error(result.stderr)
  return parseAllDocuments(result.stdout)
    .map((document) => document.toJS())
    .filter(Boolean)
}

const find = (objects: any[], kind: string, name?: string) =>
  objects.find((object) => object.kind === kind && (name === undefined || object.metadata.name === name))
const serverContainer = (objects: any[]) =>
  find(objects, 'Deployment').spec.template.spec.containers.find((c: any) => c.name === 'server')
const envOf = (container: any) =>
  Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? e.valueFrom.secretKeyRef]))

let kube: KubeApiServer
const kubectl = (...args: string[]) => run(kubectlBin, ['--kubeconfig', kube.kubeconfigPath, ...args])
const helmOnCluster = (...args: string[]) =>
  helm('--kubeconfig', kube.kubeconfigPath, '--namespace', NAMESPACE, ...args)

beforeAll(async () => {
  kube = await startKubeApiServer()
  expect((await kubectl('create', 'namespace', NAMESPACE)).code).toBe(0)
}, 120_000)

afterAll(async () => {
  await kube?.stop()
})

describe('server helm chart', () => {
  it('passes helm lint --strict with every documented combination', async () => {
    for (const [name, values] of Object.entries(COMBINATIONS)) {
      const result = await helm('lint', '--strict', chartDir, ...setArgs(values))
      expect({ name, out: result.stdout + result.stderr, code: result.code }).toMatchObject({ code: 0 })
    }
  })

  const notes: Record<string, string> = {}

  it('installs every documented combination with --dry-run=server, and the API server accepts the objects', async () => {
    for (const [name, values] of Object.entries(COMBINATIONS)) {
      const installed = await dryRunInstall({
        chart: chartDir,
        kubeconfig: kube.kubeconfigPath,
        namespace: NAMESPACE,
        values,
      })
      notes[name] = installed.notes
    }
  }, 240_000)

  it('says in its notes how to get the admin key and the fingerprint, and how to log in', () => {
    const defaults = notes['embedded Postgres on a PersistentVolumeClaim (defaults)']
    expect(defaults).toContain(
      "kubectl get secret -n infra infra-infra-server-admin-access-key -o jsonpath='{.data.access-key}' | base64 -d",
    )
    expect(defaults).toContain(
      "kubectl get secret -n infra infra-infra-server-tls -o jsonpath='{.data.tls\\.crt}' | base64 -d | openssl x509 -noout -fingerprint -sha256",
    )
    expect(defaults).toContain('kubectl port-forward -n infra service/infra-infra-server 8443:443')
    expect(defaults).toContain('infra login localhost:8443 --key KEY --tls-trusted-fingerprint FINGERPRINT')
    expect(notes['ingress with TLS passthrough']).toContain(
      'infra login infra.example.com --key KEY --tls-trusted-fingerprint FINGERPRINT',
    )
    const terminated = notes['ingress terminating TLS']
    expect(terminated).toContain('infra login infra.example.com --key KEY\n')
    expect(terminated).toContain('reach it at https://infra.example.com, never at the Service')
    expect(terminated).not.toContain('fingerprint')
    expect(notes['everything from existing Secrets']).toContain('kubectl get secret -n infra admin ')
  })

  it('refuses combinations that cannot work, saying why', async () => {
    for (const [values, message] of [
      [['replicaCount=2'], /replicaCount > 1 needs a database all replicas share/],
      [['postgresql.enabled=true', 'database.url=postgresql://x/y'], /exclude each other/],
      [['rootKey.value=short'], /at least 16 characters/],
      [['postgresql.enabled=true', 'postgresql.password=a@b'], /only letters, digits/],
      [['adminAccessKey.value=not-a-key'], /must be an access key/],
      [['ingress.enabled=true'], /ingress.host is required/],
      [
        ['ingress.enabled=true', 'ingress.host=x.example.com', 'ingress.tlsMode=reencrypt'],
        /passthrough or terminate/,
      ],
    ] as const) {
      const result = await helm('template', 'infra', chartDir, ...setArgs([...values]))
      expect(result.code).not.toBe(0)
      expect(result.stderr).toMatch(message)
    }
  })

  it('runs the server as 1000 on a read-only root, over HTTPS with the chart certificate for the Service names', async () => {
    const objects = await render([])
    const pod = find(objects, 'Deployment').spec.template.spec
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 })
    const container = serverContainer(objects)
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    })
    expect(container.readinessProbe.httpGet).toEqual({ path: '/healthz', port: 'https', scheme: 'HTTPS' })
    const env = envOf(container)
    expect(env).toMatchObject({
      INFRA_SERVER_PORT: '8443',
      INFRA_SERVER_TLS_CERT: '/etc/infra/tls/tls.crt',
      INFRA_SERVER_TLS_KEY: '/etc/infra/tls/tls.key',
      INFRA_ROOT_KEY: { name: 'infra-infra-server-root-key', key: 'root-key' },
      INFRA_ADMIN_ACCESS_KEY: { name: 'infra-infra-server-admin-access-key', key: 'access-key' },
    })
    expect(env.DATABASE_URL).toBeUndefined()
    expect(find(objects, 'Deployment').spec.strategy).toEqual({ type: 'Recreate' })
    expect(find(objects, 'PersistentVolumeClaim', 'infra-infra-server-data')).toBeDefined()
    expect(find(objects, 'Service').spec.type).toBe('ClusterIP')
    const tls = find(objects, 'Secret', 'infra-infra-server-tls')
    const certificate = new X509Certificate(Buffer.from(tls.data['tls.crt'], 'base64'))
    for (const name of [
      'infra-infra-server',
      'infra-infra-server.infra.svc',
      'infra-infra-server.infra.svc.cluster.local',
    ])
      expect(certificate.checkHost(name)).toBe(name)
    const adminKey = Buffer.from(
      find(objects, 'Secret', 'infra-infra-server-admin-access-key').data['access-key'],
      'base64',
    )
    expect(adminKey.toString()).toMatch(/^[0-9A-Za-z]{10}\.[0-9A-Za-z]{24}$/)
  })

  it('runs as many workers as the CPU resources allow, unless told, and samples the access log', async () => {
    const workers = async (values: string[]) =>
      envOf(serverContainer(await render(values))).INFRA_SERVER_WORKERS
    expect(await workers([])).toBe('1')
    expect(await workers(['resources.requests.cpu=2500m'])).toBe('2')
    expect(await workers(['resources.requests.cpu=3'])).toBe('3')
    // With a CPU limit the server reads it from its cgroup.
    expect(await workers(['resources.limits.cpu=4'])).toBeUndefined()
    expect(await workers(['resources.limits.cpu=4', 'workers=6'])).toBe('6')
    expect(envOf(serverContainer(await render([]))).INFRA_SERVER_ACCESS_LOG).toBe('0.1')
  })

  it('runs behind a TLS-terminating ingress in plain HTTP, and with its Postgres bundled', async () => {
    const terminated = await render(COMBINATIONS['ingress terminating TLS']!)
    const container = serverContainer(terminated)
    expect(envOf(container)).toMatchObject({ INFRA_SERVER_INSECURE_HTTP: 'true' })
    expect(envOf(container).INFRA_SERVER_TLS_CERT).toBeUndefined()
    expect(container.readinessProbe.httpGet.scheme).toBe('HTTP')
    expect(find(terminated, 'Ingress').spec.tls).toEqual([
      { hosts: ['infra.example.com'], secretName: 'infra-example-com' },
    ])
    const passthrough = find(await render(COMBINATIONS['ingress with TLS passthrough']!), 'Ingress')
    expect(passthrough.metadata.annotations['nginx.ingress.kubernetes.io/ssl-passthrough']).toBe('true')
    expect(passthrough.spec.tls).toBeUndefined()

    const bundled = await render(COMBINATIONS['bundled Postgres, two replicas']!)
    // Found through its Service's environment variables (no cluster DNS needed), with the generated password.
    expect(envOf(serverContainer(bundled))).toMatchObject({
      INFRA_POSTGRESQL_PASSWORD: { name: 'infra-infra-server-postgresql', key: 'password' },
      DATABASE_URL:
        'postgresql://infra:$(INFRA_POSTGRESQL_PASSWORD)@$(INFRA_INFRA_SERVER_POSTGRESQL_SERVICE_HOST):5432/infra',
    })
    const postgres = find(bundled, 'StatefulSet', 'infra-infra-server-postgresql')
    expect(postgres.spec.template.spec.containers[0].image).toBe(serverContainer(bundled).image)
    expect(postgres.spec.persistentVolumeClaimRetentionPolicy).toEqual({
      whenDeleted: 'Delete',
      whenScaled: 'Retain',
    })
    const secret = find(bundled, 'Secret', 'infra-infra-server-postgresql')
    expect(Buffer.from(secret.data.password, 'base64').toString()).toMatch(/^[A-Za-z0-9]{32}$/)
    expect(find(bundled, 'Deployment').spec.strategy).toBeUndefined()
  })

  it('keeps its generated keys, password and certificate across upgrades, and leaves nothing behind', async () => {
    const values = ['postgresql.enabled=true', 'postgresql.persistence.enabled=false', 'replicaCount=2']
    const secretData = async () => {
      const result = await kubectl(
        'get',
        'secrets',
        '-n',
        NAMESPACE,
        '-l',
        'app.kubernetes.io/instance=kept',
        '-o',
        'json',
      )
      return Object.fromEntries(JSON.parse(result.stdout).items.map((s: any) => [s.metadata.name, s.data]))
    }
    expect((await helmOnCluster('install', 'kept', chartDir, ...setArgs(values))).code).toBe(0)
    const before = await secretData()
    expect(Object.keys(before).sort()).toEqual([
      'kept-infra-server-admin-access-key',
      'kept-infra-server-postgresql',
      'kept-infra-server-root-key',
      'kept-infra-server-tls',
    ])
    const upgraded = await helmOnCluster(
      'upgrade',
      'kept',
      chartDir,
      ...setArgs([...values, 'logLevel=debug']),
    )
    expect(upgraded.stderr).toBe('')
    expect(await secretData()).toEqual(before)
    // A new host name gives a new certificate for it; the keys stay.
    await helmOnCluster(
      'upgrade',
      'kept',
      chartDir,
      ...setArgs([...values, 'tls.hostnames[0]=infra.internal']),
    )
    const after = await secretData()
    expect(after['kept-infra-server-tls']).not.toEqual(before['kept-infra-server-tls'])
    expect(after['kept-infra-server-root-key']).toEqual(before['kept-infra-server-root-key'])

    expect((await helmOnCluster('uninstall', 'kept', '--wait')).code).toBe(0)
    const left = await kubectl(
      'get',
      'all,secrets,configmaps,pvc,ingress',
      '-n',
      NAMESPACE,
      '-l',
      'app.kubernetes.io/instance=kept',
      '-o',
      'name',
    )
    expect(left.stdout.trim()).toBe('')
  }, 120_000)
})
