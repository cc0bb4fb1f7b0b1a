// Connector benchmarks against the real kube-apiserver (the test harness's) and the real Infra server:
//  1. proxy overhead: GET /api/v1/namespaces through the connector vs directly, same client, same run;
//  2. grant propagation: API call to binding present/gone in the cluster, over 100 changes.
// Writes bench/results.md. Run with `pnpm --filter @infra/connector bench` (after `pnpm build`).
import postgresSetup from '@infra/test-harness/jest-global-setup'
import postgresTeardown from '@infra/test-harness/jest-global-teardown'
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import https from 'node:https'
import { availableParallelism, cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { KubeError } from '../src/kube/connection.js'
import { freePort, percentile, run, startEnv, type TestEnv } from '../test/env.js'

const DURATION_MS = Number(process.env.BENCH_DURATION_SECONDS ?? 10) * 1000
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const CONCURRENCY = 32
const CHANGES = 100
const here = fileURLToPath(new URL('.', import.meta.url))
const connectorBin = join(here, '../dist/bin/infra-connector.js')

interface LoadResult {
  requests: number
  errors: number
  rps: number
  p50: number
  p99: number
}

/** 32 clients, each sending the next request when the last one is answered, over keep-alive TLS. */
async function load(
  url: string,
  token: string,
  ca: string,
  durationMs: number,
  extraHeaders: Record<string, string> = {},
): Promise<LoadResult> {
  const target = new URL(url)
  const agent = new https.Agent({ keepAlive: true, maxSockets: CONCURRENCY, ca })
  const latencies: number[] = []
  let errors = 0
  const get = () =>
    new Promise<number>((resolve) => {
      const request = https.request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: '/api/v1/namespaces',
          headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...extraHeaders },
        },
        (response) => {
          response.resume()
          response.on('end', () => resolve(response.statusCode ?? 0))
        },
      )
      request.on('error', () => resolve(0))
      request.end()
    })
  const started = performance.now()
  const end = Date.now() + durationMs
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) {
        const t0 = performance.now()
        const status = await get()
        latencies.push(performance.now() - t0)
        if (status !== 200) errors++
      }
    }),
  )
  const elapsed = (performance.now() - started) / 1000
  agent.destroy()
  return {
    requests: latencies.length,
    errors,
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  }
}

function startConnectorProcess(
  env: TestEnv,
  accessKey: string,
  port: number,
  healthPort: number,
  cluster: { kubeconfig: string; namespace: string },
): { child: ChildProcess; stderr: () => string } {
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_CONNECTOR_NODE_ARGS ?? '').split(' ').filter(Boolean),
      connectorBin,
      '--server',
      env.infraUrl,
      '--name',
      'bench',
      '--endpoint',
      `127.0.0.1:${port}`,
      '--listen',
      `127.0.0.1:${port}`,
      '--health-listen',
      `127.0.0.1:${healthPort}`,
      '--kubeconfig',
      cluster.kubeconfig,
      '--namespace',
      cluster.namespace,
      '--state-dir',
      join(env.workDir, 'bench-state'),
    ],
    // Audit lines are written as in production (info level); the pipe is drained, not kept.
    { env: { ...process.env, INFRA_ACCESS_KEY: accessKey }, stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let stderr = ''
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-8000)))
  return { child, stderr: () => stderr }
}

async function waitReady(url: string, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).status === 200) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`connector not ready: ${stderr()}`)
}

const fmt = (value: number) => `${value.toFixed(1)} ms`

/** CPU time (user + system, ms) a process has used, from /proc. */
async function cpuMs(pid: number | undefined): Promise<number> {
  if (pid === undefined) return NaN
  const { readFile } = await import('node:fs/promises')
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? []
  return (Number(fields[11]) + Number(fields[12])) * 10 // clock ticks of 10 ms
}

/** Pins a process (all its threads) to the given CPUs, e.g. '0' or '0-1'; false when taskset is missing. */
async function pin(pid: number | undefined, cpuList: string): Promise<boolean> {
  if (pid === undefined) return false
  try {
    return (await run('taskset', ['-a', '-p', '-c', cpuList, String(pid)])).code === 0
  } catch {
    return false
  }
}

/** The processes whose CPU time is counted during each load run. */
interface Processes {
  apiServer: number | undefined
  connector: number | undefined
}

/** CPU time (ms) each process used during a run. */
interface CpuUse {
  apiServer: number
  loadGenerator: number
  connector: number
}

interface Measured extends LoadResult {
  cpu: CpuUse
}

async function cpuNow(processes: Processes): Promise<CpuUse> {
  const own = process.cpuUsage()
  return {
    apiServer: await cpuMs(processes.apiServer),
    loadGenerator: (own.user + own.system) / 1000,
    connector: await cpuMs(processes.connector),
  }
}

/** A load run, with the CPU time the API server, the load generator and the connector spent on it. */
async function measured(run: () => Promise<LoadResult>, processes: Processes): Promise<Measured> {
  const before = await cpuNow(processes)
  const result = await run()
  const after = await cpuNow(processes)
  return {
    ...result,
    cpu: {
      apiServer: after.apiServer - before.apiServer,
      loadGenerator: after.loadGenerator - before.loadGenerator,
      connector: after.connector - before.connector,
    },
  }
}

interface Overhead {
  direct: Measured
  proxied: Measured
}

/** Alternating rounds of direct and proxied load (after a warm-up of each), combined. */
async function measureOverhead(
  direct: { url: string; token: string; ca: string },
  proxied: { url: string; token: string; ca: string },
  processes: Processes,
): Promise<Overhead> {
  await load(direct.url, direct.token, direct.ca, 2_000)
  await load(proxied.url, proxied.token, proxied.ca, 2_000)
  const directRuns: Measured[] = []
  const proxyRuns: Measured[] = []
  for (let round = 0; round < ROUNDS; round++) {
    directRuns.push(await measured(() => load(direct.url, direct.token, direct.ca, DURATION_MS), processes))
    proxyRuns.push(await measured(() => load(proxied.url, proxied.token, proxied.ca, DURATION_MS), processes))
  }
  const sum = (runs: Measured[], value: (run: Measured) => number) =>
    runs.reduce((total, run) => total + value(run), 0)
  const combine = (runs: Measured[]): Measured => ({
    requests: sum(runs, (run) => run.requests),
    errors: sum(runs, (run) => run.errors),
    rps: sum(runs, (run) => run.rps) / runs.length,
    p50: sum(runs, (run) => run.p50) / runs.length,
    p99: sum(runs, (run) => run.p99) / runs.length,
    cpu: {
      apiServer: sum(runs, (run) => run.cpu.apiServer),
      loadGenerator: sum(runs, (run) => run.cpu.loadGenerator),
      connector: sum(runs, (run) => run.cpu.connector),
    },
  })
  return { direct: combine(directRuns), proxied: combine(proxyRuns) }
}

/** µs of CPU per request */
const perRequest = (cpuMsTotal: number, run: Measured) =>
  `${((cpuMsTotal * 1000) / run.requests).toFixed(0)} µs`

function overheadTable(overhead: Overhead): string[] {
  const { direct: d, proxied: p } = overhead
  const ratio = p.rps / d.rps
  const addedP50 = p.p50 - d.p50
  const row = (name: string, run: Measured, connector: string) =>
    `| ${name} | ${run.rps.toFixed(0)} | ${fmt(run.p50)} | ${fmt(run.p99)} | ${run.requests} | ${run.errors} | ` +
    `${perRequest(run.cpu.apiServer, run)} | ${perRequest(run.cpu.loadGenerator, run)} | ${connector} |`
  return [
    '| path | requests/s | p50 | p99 | requests | errors | API server CPU/request | load generator CPU/request | connector CPU/request |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    row('direct to the API server', d, '–'),
    row('through the connector', p, perRequest(p.cpu.connector, p)),
    '',
    `Throughput ratio: **${ratio.toFixed(2)}** (target ≥ 0.85): ${ratio >= 0.85 ? 'met' : 'NOT met'}.`,
    `Added p50 latency: **${fmt(addedP50)}** (target < 2 ms): ${addedP50 < 2 ? 'met' : 'NOT met'}.`,
  ]
}

async function main() {
  await postgresSetup()
  const env = await startEnv()
  let connector: ChildProcess | undefined
  try {
    // Direct: alice's static token with view cluster-wide. Through the connector: an Infra user with view.
    await env.adminKubectl(
      'create',
      'clusterrolebinding',
      'bench-alice',
      '--clusterrole=view',
      '--user=alice',
    )
    const user = await env.createUser('bench@example.com')
    await env.grant({ user: user.id, privilege: 'view', resource: 'bench' })
    // The connector runs as the chart's service account, so the API server authorizes its impersonation
    // through RBAC on every request, as in a real installation.
    const namespace = 'infra-bench'
    const serviceAccountKubeconfig = await env.installChart(namespace)
    const port = await freePort()
    const healthPort = await freePort()
    const started = startConnectorProcess(env, await env.connectorKey(), port, healthPort, {
      kubeconfig: serviceAccountKubeconfig,
      namespace,
    })
    connector = started.child
    await waitReady(`http://127.0.0.1:${healthPort}/readyz`, started.stderr)
    const destination = (
      await env.request<{ items: { connection: { ca: string } }[] }>('GET', '/api/destinations?name=bench')
    ).body.items[0]!
    const direct = { url: env.kube.url, token: env.kube.tokens.alice!, ca: env.kube.ca }
    const proxied = {
      url: `https://127.0.0.1:${port}`,
      token: await env.token(user, 'bench'),
      ca: destination.connection.ca,
    }
    // The binding must be in place before measuring.
    for (let i = 0; i < 200; i++) {
      const probe = await load(proxied.url, proxied.token, proxied.ca, 50)
      if (probe.errors === 0) break
    }

    // As installed, the connector is a pod of its own, with its own CPU: it does not run on the API
    // server's. So the API server and the load generator share CPU 0 and the connector has CPU 1. For
    // context, the same again with all three spread over every core, where each connector cycle is taken
    // from the API server or the load generator.
    const processes: Processes = { apiServer: env.kube.pid, connector: connector.pid }
    const cores = availableParallelism()
    const allCpus = `0-${cores - 1}`
    const dedicatedPossible =
      cores >= 2 &&
      (await pin(env.kube.pid, '0')) &&
      (await pin(process.pid, '0')) &&
      (await pin(connector.pid, `1-${cores - 1}`))
    const dedicated = dedicatedPossible ? await measureOverhead(direct, proxied, processes) : undefined
    for (const pid of [env.kube.pid, process.pid, connector.pid]) await pin(pid, allCpus)
    const shared = await measureOverhead(direct, proxied, processes)

    // Propagation: 50 grants created and 50 deleted, each timed from the API call to the binding's state.
    const binding = async () => {
      try {
        await env.admin.request(
          'GET',
          '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings/infra:bench:edit',
        )
        return true
      } catch (error) {
        if (error instanceof KubeError && error.status === 404) return false
        throw error
      }
    }
    const until = async (present: boolean) => {
      const deadline = Date.now() + 10_000
      while ((await binding()) !== present) {
        if (Date.now() > deadline) throw new Error('binding did not converge within 10 s')
        await new Promise((resolve) => setTimeout(resolve, 1))
      }
    }
    const created: number[] = []
    const deleted: number[] = []
    for (let i = 0; i < CHANGES / 2; i++) {
      let t0 = performance.now()
      const id = await env.grant({ user: user.id, privilege: 'edit', resource: 'bench.default' })
      await until(true)
      created.push(performance.now() - t0)
      t0 = performance.now()
      await env.revoke(id)
      await until(false)
      deleted.push(performance.now() - t0)
    }
    const all = [...created, ...deleted]

    const lines = [
      '# Connector benchmarks',
      '',
      `Run ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, Node ${process.version}, `,
      `against the real kube-apiserver v1.34 of the test harness and the real Infra server on Postgres, all on this machine.`,
      'The connector runs as its own process (the built `infra-connector`), logging an audit line per request.',
      '',
      `## 1. Proxy overhead: \`GET /api/v1/namespaces\`, ${CONCURRENCY} concurrent clients, keep-alive TLS`,
      '',
      `${ROUNDS} alternating rounds of ${DURATION_MS / 1000} s per path (after a 2 s warm-up each), averaged. Direct: a`,
      'static token with `view` (RBAC). Through the connector: an Infra JWT for a user granted `view`; the connector',
      "verifies it, checks the grants, and forwards with impersonation as the Helm chart's service account, which",
      'the API server authorizes through RBAC on every request. Same load generator (Node, keep-alive TLS) for both.',
      '',
      '### As deployed: the connector on its own CPU',
      '',
      ...(dedicated
        ? [
            "The connector is a pod of its own, so its CPU is not the API server's: the API server and the load",
            'generator are pinned to CPU 0 (for both paths) and the connector to the other CPU (`taskset`).',
            '',
            ...overheadTable(dedicated),
          ]
        : [`Not measured: this needs 2 CPUs and \`taskset\` (${cores} CPU(s) here).`]),
      '',
      '### Everything on the same cores',
      '',
      `The load generator, the API server and the connector all share the ${cores} CPU(s), so every cycle the`,
      'connector spends is taken from the API server or the load generator: this ratio measures that sharing as',
      'much as the proxy.',
      '',
      ...overheadTable(shared),
      '',
      'Where the CPU goes (shared run): the API server process (kube-apiserver with its etcd) spends ' +
        `${perRequest(shared.direct.cpu.apiServer, shared.direct)} per request from the load generator and ` +
        `${perRequest(shared.proxied.cpu.apiServer, shared.proxied)} per request from the connector: the difference is`,
      "the impersonation (it authorizes the connector to impersonate, then the user's request). The connector",
      `spends ${perRequest(shared.proxied.cpu.connector, shared.proxied)} (TLS in and out, the token check from its cache, forwarding, the audit line).`,
      '',
      `Load average at the end: ${loadavg()[0]?.toFixed(2)}.`,
      '',
      `## 2. Grant propagation, ${CHANGES} changes`,
      '',
      'Time from the `POST /api/grants` (or `DELETE`) call to the RoleBinding being present (or gone) in the',
      'cluster, polled by the benchmark every millisecond.',
      '',
      '| changes | p50 | p99 | max |',
      '| --- | ---: | ---: | ---: |',
      `| created (${created.length}) | ${fmt(percentile(created, 50))} | ${fmt(percentile(created, 99))} | ${fmt(Math.max(...created))} |`,
      `| deleted (${deleted.length}) | ${fmt(percentile(deleted, 50))} | ${fmt(percentile(deleted, 99))} | ${fmt(Math.max(...deleted))} |`,
      `| all (${all.length}) | ${fmt(percentile(all, 50))} | ${fmt(percentile(all, 99))} | ${fmt(Math.max(...all))} |`,
      '',
      `p99 under 1 s: ${percentile(all, 99) < 1000 ? 'met' : 'NOT met'}.`,
      '',
    ]
    const text = lines.join('\n')
    await writeFile(join(here, 'results.md'), text)
    console.log(text)
  } finally {
    connector?.kill('SIGTERM')
    await env.close()
    await postgresTeardown()
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
