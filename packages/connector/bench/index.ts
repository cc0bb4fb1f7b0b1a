// Connector benchmarks against the real kube-apiserver (the test harness's) and the real Infra server:
// proxy overhead against direct access (on the connector's own CPU and on shared cores), the connector's memory
// under that load, auditing's cost (on against off), and grant propagation. Writes bench/results.json and
// bench/results.md. Run with `pnpm --filter @infra/connector bench` (after `pnpm build`);
// BENCH_SECTIONS=proxy,audit,propagation.
import postgresSetup from '@infra/test-harness/jest-global-setup'
import postgresTeardown from '@infra/test-harness/jest-global-teardown'
import {
  peakDuring,
  peakMemoryFigure,
  residentMemoryMiB,
  writeBenchResults,
  type Section,
} from '@infra/test-harness/bench'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { freePort, startEnv, type InfraUser, type TestEnv } from '../test/env.js'
import { auditSection } from './audit.js'
import { startConnectorProcess, type ConnectorProcess } from './connector-process.js'
import { pin, type Processes } from './cpu.js'
import { CONCURRENCY, load } from './load.js'
import { propagationSection } from './propagation.js'
import { dedicatedSection, measureOverhead, sharedSection, type Overhead } from './proxy.js'

const MEMORY_TARGET_MIB = 120
const wanted = process.env.BENCH_SECTIONS?.split(',') ?? ['proxy', 'audit', 'propagation']

/** The proxy load's target through the connector of `destination`: its address, CA and a token of `user`. */
async function throughConnector(env: TestEnv, user: InfraUser, destination: string, port: number) {
  const found = await env.request<{ items: { connection: { ca: string } }[] }>(
    'GET',
    `/api/destinations?name=${destination}`,
  )
  return {
    url: `https://127.0.0.1:${port}`,
    token: await env.token(user, destination),
    ca: found.body.items[0]!.connection.ca,
  }
}

function memorySection(idle: number, dedicated: number | undefined, shared: number): Section {
  const figure = (id: string, label: string, value: number) =>
    peakMemoryFigure(id, label, value, idle, MEMORY_TARGET_MIB)
  return {
    id: 'connector-memory',
    title: `Connector memory under ${CONCURRENCY}-client proxy load`,
    description:
      "The connector process's peak resident memory (the kernel's high-water mark, reset before each load) " +
      'during each proxy-overhead run above, warm-ups included. Baseline: the same process idle after start, ' +
      'its grants loaded.',
    baseline: 'the connector idle',
    figures: [
      ...(dedicated === undefined ? [] : [figure('peak-dedicated', 'peak RSS, on its own CPU', dedicated)]),
      figure('peak-shared', 'peak RSS, on shared cores', shared),
    ],
  }
}

await postgresSetup()
const env = await startEnv()
let connector: ConnectorProcess | undefined
let unaudited: ConnectorProcess | undefined
const sections: Section[] = []
try {
  // Direct: alice's static token with view cluster-wide. Through the connector: an Infra user with view.
  await env.adminKubectl('create', 'clusterrolebinding', 'bench-alice', '--clusterrole=view', '--user=alice')
  const user = await env.createUser('bench@example.com')
  await env.grant({ user: user.id, privilege: 'view', resource: 'bench' })
  // The connector runs as the chart's service account, so the API server authorizes its impersonation
  // through RBAC on every request, as in a real installation.
  const namespace = 'infra-bench'
  const ports = { proxy: await freePort(), health: await freePort() }
  const cluster = { kubeconfig: await env.installChart(namespace), namespace }
  connector = await startConnectorProcess(env, await env.connectorKey(), ports, cluster)
  const proxied = await throughConnector(env, user, 'bench', ports.proxy)
  if (wanted.includes('proxy')) {
    const direct = { url: env.kube.url, token: env.kube.tokens.alice!, ca: env.kube.ca }
    // The binding must be in place before measuring.
    for (let i = 0; i < 200; i++) if ((await load(proxied, 50)).errors === 0) break
    const idle = await residentMemoryMiB(connector.pid)

    const processes: Processes = { apiServer: env.kube.pid, connector: connector.pid }
    const cores = availableParallelism()
    const dedicatedPossible =
      cores >= 2 &&
      (await pin(env.kube.pid, '0')) &&
      (await pin(process.pid, '0')) &&
      (await pin(connector.pid, `1-${cores - 1}`))
    let dedicated: [Overhead, number] | undefined
    if (dedicatedPossible) {
      dedicated = await peakDuring(connector.pid, () => measureOverhead(direct, proxied, processes))
      sections.push(dedicatedSection(dedicated[0]))
    } else {
      console.warn(`proxy-dedicated not measured: it needs 2 CPUs and taskset (${cores} CPU(s) here)`)
    }
    for (const pid of [env.kube.pid, process.pid, connector.pid]) await pin(pid, `0-${cores - 1}`)
    const [shared, sharedPeak] = await peakDuring(connector.pid, () =>
      measureOverhead(direct, proxied, processes),
    )
    sections.push(sharedSection(shared), memorySection(idle, dedicated?.[1], sharedPeak))
  }
  if (wanted.includes('audit')) {
    await env.grant({ user: user.id, privilege: 'view', resource: 'bench-off' })
    const offPorts = { proxy: await freePort(), health: await freePort() }
    unaudited = await startConnectorProcess(env, await env.connectorKey(), offPorts, cluster, {
      name: 'bench-off',
      args: ['--audit', 'off'],
    })
    const off = await throughConnector(env, user, 'bench-off', offPorts.proxy)
    for (let i = 0; i < 200; i++) if ((await load(off, 50)).errors === 0) break
    sections.push(
      await auditSection(
        { target: proxied, pid: connector.pid },
        { target: off, pid: unaudited.pid },
        env.kube.pid,
      ),
    )
  }
  if (wanted.includes('propagation')) sections.push(await propagationSection(env, user))
} finally {
  unaudited?.stop()
  connector?.stop()
  await env.close()
  await postgresTeardown()
}
console.log(
  await writeBenchResults(
    fileURLToPath(new URL('.', import.meta.url)),
    'Connector benchmarks',
    'Run with `pnpm --filter @infra/connector bench` (`BENCH_SECTIONS=proxy,audit,propagation`). The real ' +
      'kube-apiserver v1.34 of the test harness and the real Infra server on Postgres, all on this machine; the ' +
      'connector runs as its own process (the built `infra-connector`), logging an audit line and sending an ' +
      'audit event to the server per request (`--audit best-effort`, the default).',
    sections,
  ),
)
process.exit(0)
