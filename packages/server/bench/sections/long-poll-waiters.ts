import { residentMemoryMiB, type Section } from '@infra/test-harness/bench'
import { Agent, request } from 'undici'
import { withClient } from '../database.js'
import { adminKey, headers, percentile } from '../load.js'
import { startInfraServer } from '../processes.js'

const WAITERS = 2_000
const POOL = 10

/** A server that lets one key hold thousands of long polls. */
export const WAITER_SERVER_ARGS = ['--rate-limit', '100000000', '--max-long-polls-per-key', '100000']

/**
 * `count` clients waiting on the grants of `destination` after `index` (its `Last-Update-Index`), each on a
 * connection of its own.
 */
export function startWaiters(base: string, destination: string, index: string | null, count: number) {
  const agent = new Agent({ connections: count + 10, headersTimeout: 0, bodyTimeout: 0 })
  const answered: number[] = []
  const waiters = Array.from({ length: count }, () =>
    request(`${base}/api/grants?destination=${destination}&lastUpdateIndex=${index}`, {
      headers,
      dispatcher: agent,
    }).then(async (response) => {
      answered.push(performance.now())
      await response.body.text()
      return response.statusCode
    }),
  )
  return {
    /** Grants a new user on the destination, which answers every waiter; returns when (`performance.now()`). */
    async wake() {
      const user = await fetch(`${base}/api/users`, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: `${destination}-waiter-target` }),
      }).then((response) => response.json() as Promise<{ id: string }>)
      const changed = performance.now()
      await fetch(`${base}/api/grants`, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: JSON.stringify({ user: user.id, privilege: 'view', resource: destination }),
      })
      return changed
    },
    /** The statuses, and when (`performance.now()`) each answer came. */
    async answers() {
      const statuses = await Promise.all(waiters)
      await agent.close()
      return { statuses, answered }
    },
  }
}

export async function longPollWaiters(databaseUrl: string): Promise<Section> {
  const infra = await startInfraServer(databaseUrl, adminKey, WAITER_SERVER_ARGS)
  try {
    const base = `http://127.0.0.1:${infra.port}`
    const destination = 'bench-waiters'
    const first = await fetch(`${base}/api/grants?destination=${destination}&lastUpdateIndex=1`, { headers })
    const index = first.headers.get('last-update-index')
    const memoryIdle = await residentMemoryMiB(infra.process.pid as number)
    const waiting = startWaiters(base, destination, index, WAITERS)
    // Let every request arrive and wait.
    await new Promise((resolve) => setTimeout(resolve, 3_000))
    const connections = await withClient(databaseUrl, async (client) => {
      const rows = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      )
      return rows.rows[0]?.n ?? 0
    })
    const memoryWaiting = await residentMemoryMiB(infra.process.pid as number)
    const changed = await waiting.wake()
    const { statuses, answered } = await waiting.answers()
    const delays = answered.map((at) => at - changed).sort((x, y) => x - y)
    return {
      id: 'long-poll-waiters',
      title: `${WAITERS.toLocaleString('en')} concurrent long-poll waiters on one server process`,
      description:
        `${WAITERS.toLocaleString('en')} clients wait on \`GET /api/grants?destination=…&lastUpdateIndex=…\`; ` +
        'then one grant is created and every waiter must be answered. The baseline of the memory figure is the ' +
        'same process idle, before the waiters arrive.',
      baseline: 'the server idle',
      figures: [
        {
          id: 'connections',
          label: 'database connections while waiting',
          value: connections,
          unit: '',
          better: 'lower',
          target: { value: POOL + 1 },
        },
        {
          id: 'memory',
          label: 'server memory (RSS) while waiting',
          value: memoryWaiting,
          unit: 'MiB',
          better: 'lower',
          baseline: memoryIdle,
        },
        {
          id: 'wake-p50',
          label: 'grant change → waiter answered, p50',
          value: percentile(delays, 50),
          unit: 'ms',
          better: 'lower',
        },
        {
          id: 'wake-p99',
          label: 'grant change → waiter answered, p99',
          value: percentile(delays, 99),
          unit: 'ms',
          better: 'lower',
          target: { value: 500 },
        },
        {
          id: 'answered',
          label: 'waiters answered 200',
          value: statuses.filter((status) => status === 200).length,
          unit: '',
          better: 'higher',
          target: { value: WAITERS },
        },
      ],
      notes: `The pool has ${POOL} connections; waiting takes none of them (one listener connection).`,
    }
  } finally {
    await infra.stop()
  }
}
