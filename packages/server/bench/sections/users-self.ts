import type { Section } from '@infra/test-harness/bench'
import { adminKey, headers, load, loadFigures } from '../load.js'
import { startBareExpress, startInfraServer } from '../processes.js'

export async function usersSelf(databaseUrl: string): Promise<Section> {
  const infra = await startInfraServer(databaseUrl, adminKey, ['--rate-limit', '100000000'])
  try {
    const base = `http://127.0.0.1:${infra.port}`
    const body = (await fetch(`${base}/api/users/self`, { headers }).then((response) =>
      response.json(),
    )) as unknown
    await load(`${base}/api/users/self`, { duration: 2 }) // warm up
    const ours = await load(`${base}/api/users/self`)
    // For comparison, the same answer about another user, which goes to Postgres.
    const other = await fetch(`${base}/api/users`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'bench-other-user' }),
    }).then((response) => response.json() as Promise<{ id: string }>)
    const byId = await load(`${base}/api/users/${other.id}`)
    const bare = await startBareExpress('/api/users/self', body)
    try {
      await load(`http://127.0.0.1:${bare.port}/api/users/self`, { duration: 2 })
      const baseline = await load(`http://127.0.0.1:${bare.port}/api/users/self`)
      return {
        id: 'users-self',
        title: 'Authenticated `GET /api/users/self`, 64 concurrent clients',
        description:
          'The real `infra-server` over HTTP at log level warn, against bare Express serving the same JSON with ' +
          'no authentication, database or validation.',
        baseline: 'bare Express, same JSON',
        figures: [
          ...loadFigures(ours, baseline, { targets: { throughput: { ratio: 0.5 } } }),
          {
            id: 'other-user-throughput',
            label: '`GET /api/users/{id}` of another user (one Postgres query), requests/s',
            value: byId.requests.average,
            unit: 'requests/s',
            better: 'higher',
            baseline: baseline.requests.average,
          },
        ],
        notes:
          'The server answers a caller about themselves from its cache of authenticated keys (no query; changes ' +
          'through another replica show within 30 s); about another user it reads Postgres.',
      }
    } finally {
      await bare.stop()
    }
  } finally {
    await infra.stop()
  }
}
