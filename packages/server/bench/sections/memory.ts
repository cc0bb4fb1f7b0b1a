import { peakDuring, peakMemoryFigure, residentMemoryMiB, type Section } from '@infra/test-harness/bench'
import { adminKey, headers, load } from '../load.js'
import { startInfraServer } from '../processes.js'
import { startWaiters, WAITER_SERVER_ARGS } from './long-poll-waiters.js'

const TARGET_MIB = 150
const WAITERS = 2_000

/** Needs the seeded grants: `cluster7` has a full page of 1,000. */
export async function memory(databaseUrl: string): Promise<Section> {
  const infra = await startInfraServer(databaseUrl, adminKey, WAITER_SERVER_ARGS)
  try {
    const pid = infra.process.pid as number
    const base = `http://127.0.0.1:${infra.port}`
    const idle = await residentMemoryMiB(pid)
    const peakOf = async (run: () => Promise<unknown>) => (await peakDuring(pid, run))[1]
    const usersSelf = await peakOf(() => load(`${base}/api/users/self`))
    const grantsPage = await peakOf(() => load(`${base}/api/grants?destination=cluster7&limit=1000`))
    const destination = 'bench-memory'
    const first = await fetch(`${base}/api/grants?destination=${destination}&lastUpdateIndex=1`, { headers })
    const waiters = await peakOf(async () => {
      const waiting = startWaiters(base, destination, first.headers.get('last-update-index'), WAITERS)
      // Let every request arrive and wait, then answer them all.
      await new Promise((resolve) => setTimeout(resolve, 3_000))
      await waiting.wake()
      await waiting.answers()
    })
    const figure = (id: string, label: string, value: number) =>
      peakMemoryFigure(id, label, value, idle, TARGET_MIB)
    return {
      id: 'memory',
      title: 'Memory of one server process under load',
      description:
        "The server process's peak resident memory (the kernel's high-water mark, reset before each load) " +
        'while it serves, one after the other: `GET /api/users/self` to 64 clients, the 1,000-grant page ' +
        `\`GET /api/grants?destination=cluster7&limit=1000\` to 64 clients, and ${WAITERS.toLocaleString('en')} ` +
        'long-poll waiters until a grant change answers them. Baseline: the same process idle after start.',
      baseline: 'the server idle after start',
      figures: [
        figure('users-self', '`GET /api/users/self`, 64 clients', usersSelf),
        figure('grants-page', '1,000-grant pages, 64 clients', grantsPage),
        figure('long-poll-waiters', `${WAITERS.toLocaleString('en')} long-poll waiters`, waiters),
      ],
    }
  } finally {
    await infra.stop()
  }
}
