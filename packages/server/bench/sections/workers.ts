import type { Section } from '@infra/test-harness/bench'
import { defaultWorkers } from '../../src/bin/cpu-limit.js'
import { adminKey, load, loadFigures } from '../load.js'
import { startInfraServer } from '../processes.js'

export const ROUTES = [
  { id: 'users-self', label: '`GET /api/users/self`', path: '/api/users/self' },
  {
    id: 'grants-page',
    label: '`GET /api/grants?destination=cluster7&limit=1000` (1,000 grants)',
    path: '/api/grants?destination=cluster7&limit=1000',
  },
] as const

/** Throughput of each route on a server of `workers` processes, after a warm-up. */
async function throughputs(databaseUrl: string, workers: number) {
  const infra = await startInfraServer(databaseUrl, adminKey, ['--rate-limit', '100000000'], { workers })
  try {
    const results = []
    for (const route of ROUTES) {
      const url = `http://127.0.0.1:${infra.port}${route.path}`
      await load(url, { duration: 2 })
      results.push(await load(url))
    }
    return results
  } finally {
    await infra.stop()
  }
}

/** Needs the seeded grants (`seedGrants`), for the 1,000-grant page. */
export async function workers(databaseUrl: string): Promise<Section> {
  const count = defaultWorkers()
  const one = await throughputs(databaseUrl, 1)
  const several = await throughputs(databaseUrl, count)
  const figures = ROUTES.flatMap((route, index) => {
    const [ours, baseline] = [several[index], one[index]]
    return ours && baseline ? loadFigures(ours, baseline, { of: route }) : []
  })
  return {
    id: 'workers',
    title: `\`infra-server --workers ${count}\` (the default here) against one process, 64 concurrent clients`,
    description:
      'The real `infra-server` over HTTP at log level warn, first with `--workers 1`, then with the default ' +
      `number of workers on this machine (${count}: its CPUs, within any container CPU limit).`,
    baseline: 'one process (`--workers 1`)',
    figures,
    notes:
      'The load generator (autocannon) runs on the same machine and its same cores, as does Postgres, so the ' +
      'workers share those cores with them: the gain on a machine serving only the API is larger.',
  }
}
