import type { Section } from '@infra/test-harness/bench'
import { adminKey, headers, load, loadFigures } from '../load.js'
import { startBareExpress, startInfraServer } from '../processes.js'
import { benchUserId } from '../seed.js'

/** Needs the seeded grants (`seedGrants` with `users` users). */
export async function grantsOfUser(databaseUrl: string, users: number, grants: number): Promise<Section> {
  const infra = await startInfraServer(databaseUrl, adminKey, ['--rate-limit', '100000000'])
  try {
    const path = (n: number) => `/api/grants?user=${benchUserId(1 + (n % users))}&showInherited=true`
    let next = 0
    const ours = await load(`http://127.0.0.1:${infra.port}/api/grants`, {
      connections: 8,
      requests: [{ setupRequest: (request) => ({ ...request, path: path(next++) }) }],
    })
    const body = (await fetch(`http://127.0.0.1:${infra.port}${path(0)}`, { headers }).then((response) =>
      response.json(),
    )) as unknown
    const bare = await startBareExpress('/api/grants', body)
    try {
      const baseline = await load(`http://127.0.0.1:${bare.port}${path(0)}`, { connections: 8 })
      return {
        id: 'grants-of-user',
        title: `\`GET /api/grants?user=…&showInherited=true\` with ${grants.toLocaleString('en')} grants and ${users.toLocaleString('en')} users`,
        description:
          '8 concurrent clients, a different user each request (the grants of the user and of their two groups). ' +
          'The baseline is bare Express serving one such answer.',
        baseline: 'bare Express, one answer',
        figures: loadFigures(ours, baseline, { targets: { p99: { value: 20 } } }),
      }
    } finally {
      await bare.stop()
    }
  } finally {
    await infra.stop()
  }
}
