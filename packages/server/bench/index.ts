// Server benchmarks, each reported against a baseline measured in the same run. Writes bench/results.md.
import { API_VERSION } from '@infra/api-types'
import autocannon from 'autocannon'
import { writeFile } from 'node:fs/promises'
import { availableParallelism, cpus } from 'node:os'
import { generateKey } from '../src/auth/access-key-secret.js'
import { benchDatabase, withClient } from './database.js'
import { residentMemoryMiB, startBareExpress, startInfraServer } from './processes.js'

const DURATION_SECONDS = Number(process.env.BENCH_DURATION_SECONDS ?? 10)
const adminKey = generateKey().text
const headers = { 'Infra-Version': API_VERSION, Authorization: `Bearer ${adminKey}` }

async function load(url: string, options: Partial<autocannon.Options> = {}) {
  return autocannon({ url, connections: 64, duration: DURATION_SECONDS, headers, ...options })
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0
const ms = (value: number) => `${value.toFixed(1)} ms`

async function selfVersusBareExpress(databaseUrl: string): Promise<string> {
  const infra = await startInfraServer(databaseUrl, adminKey, ['--rate-limit', '100000000'])
  try {
    const self = await fetch(`http://127.0.0.1:${infra.port}/api/users/self`, { headers })
    const body = (await self.json()) as unknown
    await load(`http://127.0.0.1:${infra.port}/api/users/self`, { duration: 2 }) // warm up
    const ours = await load(`http://127.0.0.1:${infra.port}/api/users/self`)
    // For comparison, the same answer about another user, which goes to Postgres.
    const other = await fetch(`http://127.0.0.1:${infra.port}/api/users`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'bench-other-user' }),
    }).then((response) => response.json() as Promise<{ id: string }>)
    const byId = await load(`http://127.0.0.1:${infra.port}/api/users/${other.id}`)
    const bare = await startBareExpress(body)
    try {
      await load(`http://127.0.0.1:${bare.port}/api/users/self`, { duration: 2 })
      const baseline = await load(`http://127.0.0.1:${bare.port}/api/users/self`)
      const ratio = ours.requests.average / baseline.requests.average
      return [
        '## 1. Authenticated `GET /api/users/self`, 64 concurrent clients',
        '',
        '| | requests/s | p50 | p99 | errors |',
        '| --- | ---: | ---: | ---: | ---: |',
        `| Infra server | ${ours.requests.average.toFixed(0)} | ${ms(ours.latency.p50)} | ${ms(ours.latency.p99)} | ${ours.errors + ours.non2xx} |`,
        `| Infra server, \`GET /api/users/{id}\` of another user (one Postgres query) | ${byId.requests.average.toFixed(0)} | ${ms(byId.latency.p50)} | ${ms(byId.latency.p99)} | ${byId.errors + byId.non2xx} |`,
        `| bare Express, same JSON | ${baseline.requests.average.toFixed(0)} | ${ms(baseline.latency.p50)} | ${ms(baseline.latency.p99)} | ${baseline.errors + baseline.non2xx} |`,
        '',
        `**Ratio to bare Express: ${ratio.toFixed(2)}** (target ≥ 0.5): ${ratio >= 0.5 ? 'met' : 'NOT met'}. ` +
          'The server answers a caller about themselves from its cache of authenticated keys (no query; changes ' +
          'through another replica show within 30 s); about another user it reads Postgres: ' +
          `${(byId.requests.average / baseline.requests.average).toFixed(2)} of bare Express.`,
      ].join('\n')
    } finally {
      await bare.stop()
    }
  } finally {
    await infra.stop()
  }
}

async function seedGrants(databaseUrl: string, users: number, grants: number, groups: number) {
  await withClient(databaseUrl, async (client) => {
    await client.query(
      `INSERT INTO users (id, name, updated) SELECT 'bu' || translate(i::text, '0', 'z'), 'bench-user-' || i || '@example.com', now() FROM generate_series(1, $1) AS i`,
      [users],
    )
    await client.query(
      `INSERT INTO groups (id, name, updated) SELECT 'bg' || translate(i::text, '0', 'z'), 'bench-group-' || i, now() FROM generate_series(1, $1) AS i`,
      [groups],
    )
    // Every user is in two groups.
    await client.query(
      `INSERT INTO group_members (group_id, user_id) SELECT 'bg' || translate((1 + (i % $2))::text, '0', 'z'), 'bu' || translate(i::text, '0', 'z') FROM generate_series(1, $1) AS i
                        UNION SELECT 'bg' || translate((1 + ((i * 7) % $2))::text, '0', 'z'), 'bu' || translate(i::text, '0', 'z') FROM generate_series(1, $1) AS i`,
      [users, groups],
    )
    // 90% of grants to users, 10% to groups, spread over 50 destinations and their namespaces.
    await client.query(
      `INSERT INTO grants (id, user_id, group_id, privilege, resource, destination, created_by, updated)
       SELECT 'bgr' || i,
              CASE WHEN i % 10 <> 0 THEN 'bu' || translate((1 + (i % $2))::text, '0', 'z') END,
              CASE WHEN i % 10 = 0 THEN 'bg' || translate((1 + (i % $3))::text, '0', 'z') END,
              (ARRAY['view', 'edit', 'admin', 'logs'])[1 + (i % 4)],
              'cluster' || (i % 50) || '.ns' || i,
              'cluster' || (i % 50), '', now()
       FROM generate_series(1, $1) AS i`,
      [grants, users, groups],
    )
    await client.query('ANALYZE')
  })
}

async function grantsOfUser(databaseUrl: string): Promise<string> {
  const USERS = 10_000
  const GRANTS = 100_000
  await seedGrants(databaseUrl, USERS, GRANTS, 500)
  const infra = await startInfraServer(databaseUrl, adminKey, ['--rate-limit', '100000000'])
  try {
    let next = 0
    const result = await load(`http://127.0.0.1:${infra.port}/api/grants`, {
      connections: 8,
      requests: [
        {
          setupRequest: (request) => ({
            ...request,
            path: `/api/grants?user=bu${String(1 + (next++ % USERS)).replaceAll('0', 'z')}&showInherited=true`,
          }),
        },
      ],
    })
    const ok = result.latency.p99 < 20
    return [
      `## 2. \`GET /api/grants?user=…&showInherited=true\` with ${GRANTS.toLocaleString('en')} grants and ${USERS.toLocaleString('en')} users`,
      '',
      `8 concurrent clients, a different user each request: ${result.requests.average.toFixed(0)} requests/s, ` +
        `p50 ${ms(result.latency.p50)}, p99 ${ms(result.latency.p99)}, errors ${result.errors + result.non2xx}.`,
      '',
      `**p99 ${ms(result.latency.p99)}** (target < 20 ms): ${ok ? 'met' : 'NOT met'}.`,
    ].join('\n')
  } finally {
    await infra.stop()
  }
}

async function manyWaiters(databaseUrl: string): Promise<string> {
  const WAITERS = 2_000
  const POOL = 10
  const infra = await startInfraServer(databaseUrl, adminKey, [
    '--rate-limit',
    '100000000',
    '--max-long-polls-per-key',
    '100000',
  ])
  try {
    const base = `http://127.0.0.1:${infra.port}`
    const destination = 'bench-waiters'
    const first = await fetch(`${base}/api/grants?destination=${destination}&lastUpdateIndex=1`, { headers })
    const index = first.headers.get('last-update-index')
    const memoryBefore = await residentMemoryMiB(infra.process.pid as number)
    const { Agent, request } = await import('undici')
    const agent = new Agent({ connections: WAITERS + 10, headersTimeout: 0, bodyTimeout: 0 })
    const answered: number[] = []
    const waiters = Array.from({ length: WAITERS }, () =>
      request(`${base}/api/grants?destination=${destination}&lastUpdateIndex=${index}`, {
        headers,
        dispatcher: agent,
      }).then(async (response) => {
        answered.push(performance.now())
        await response.body.text()
        return response.statusCode
      }),
    )
    // Let every request arrive and wait.
    await new Promise((resolve) => setTimeout(resolve, 3_000))
    const connections = await withClient(databaseUrl, async (client) => {
      const rows = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      )
      return rows.rows[0]?.n ?? 0
    })
    const memoryWaiting = await residentMemoryMiB(infra.process.pid as number)
    const user = await fetch(`${base}/api/users`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'bench-waiter-target' }),
    }).then((response) => response.json() as Promise<{ id: string }>)
    const changed = performance.now()
    await fetch(`${base}/api/grants`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/json' },
      body: JSON.stringify({ user: user.id, privilege: 'view', resource: destination }),
    })
    const statuses = await Promise.all(waiters)
    await agent.close()
    const delays = answered.map((at) => at - changed).sort((x, y) => x - y)
    const p99 = percentile(delays, 99)
    return [
      `## 3. ${WAITERS.toLocaleString('en')} concurrent long-poll waiters on one server process`,
      '',
      '| measure | value | target |',
      '| --- | ---: | --- |',
      `| database connections while waiting | ${connections} | ≤ pool size + 1 = ${POOL + 1}: ${connections <= POOL + 1 ? 'met' : 'NOT met'} |`,
      `| server memory (RSS) idle → waiting | ${memoryBefore.toFixed(0)} MiB → ${memoryWaiting.toFixed(0)} MiB | |`,
      `| grant change → waiter answered, p50 | ${ms(percentile(delays, 50))} | |`,
      `| grant change → waiter answered, p99 | ${ms(p99)} | < 500 ms: ${p99 < 500 ? 'met' : 'NOT met'} |`,
      `| answered 200 | ${statuses.filter((status) => status === 200).length} of ${WAITERS} | all |`,
    ].join('\n')
  } finally {
    await infra.stop()
  }
}

const sections: string[] = []
const bench = await benchDatabase()
const { database } = bench
try {
  sections.push(await selfVersusBareExpress(database.url))
  sections.push(await manyWaiters(database.url))
  sections.push(await grantsOfUser(database.url))
} finally {
  await bench.close()
}
const report = [
  '# Server benchmarks',
  '',
  `Run with \`pnpm --filter @infra/server bench\` on ${new Date().toISOString().slice(0, 10)}: ` +
    `${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}. ` +
    `Load from autocannon in the benchmark process; each server runs as its own process on the same machine, ` +
    `with Postgres, so every number is relative to a baseline measured in the same run.`,
  '',
  ...sections.flatMap((section) => [section, '']),
].join('\n')
await writeFile(new URL('results.md', import.meta.url), report)
console.log(report)
