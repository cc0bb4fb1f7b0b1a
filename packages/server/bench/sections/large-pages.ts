import type { Section } from '@infra/test-harness/bench'
import { adminKey, headers, load, loadFigures, probe, UNANSWERED_AFTER_SECONDS } from '../load.js'
import { startBareExpress, startInfraServer } from '../processes.js'

const PATH = '/api/grants?destination=cluster7&limit=1000'

/** A full page under load and, beside it, a paced `/healthz` probe: what other requests wait meanwhile. */
async function underLoad(base: string) {
  const [page, health] = await Promise.all([
    load(`${base}${PATH}`, { timeout: UNANSWERED_AFTER_SECONDS }),
    probe(`${base}/healthz`),
  ])
  return { page, health }
}

/** Needs the seeded grants: `cluster7` holds 2,000 of them, so the page is full. */
export async function largePages(databaseUrl: string): Promise<Section> {
  const infra = await startInfraServer(databaseUrl, adminKey, ['--rate-limit', '100000000'])
  try {
    const base = `http://127.0.0.1:${infra.port}`
    const body = (await fetch(`${base}${PATH}`, { headers }).then((response) => response.json())) as {
      count: number
    }
    if (body.count !== 1000) throw new Error(`the page holds ${body.count} grants, not 1,000`)
    const idle = await probe(`${base}/healthz`)
    await load(`${base}${PATH}`, { duration: 2 }) // warm up
    const ours = await underLoad(base)
    const bare = await startBareExpress('/api/grants', body)
    try {
      const bareBase = `http://127.0.0.1:${bare.port}`
      await load(`${bareBase}${PATH}`, { duration: 2 })
      const baseline = await load(`${bareBase}${PATH}`, { timeout: UNANSWERED_AFTER_SECONDS })
      return {
        id: 'large-pages',
        title:
          '`GET /api/grants?destination=…&limit=1000`, a full page of 1,000 grants, 64 concurrent clients',
        description:
          'The real `infra-server` over HTTP at log level warn, against bare Express serving the same JSON with ' +
          'no authentication, database or serialization. While the load runs, one client asks for `/healthz` ' +
          'ten times a second; its baseline is the same probe with the server idle.',
        baseline: 'bare Express, same JSON; `/healthz` idle',
        figures: [
          ...loadFigures(ours.page, baseline, { targets: { p99: { value: 1000 } } }),
          {
            id: 'unanswered',
            label: `requests unanswered within ${UNANSWERED_AFTER_SECONDS} s`,
            value: ours.page.timeouts,
            unit: '',
            better: 'lower',
            baseline: baseline.timeouts,
            target: { value: 0 },
          },
          {
            id: 'healthz-p99',
            label: '`/healthz` p99 during the load',
            value: ours.health.latency.p99,
            unit: 'ms',
            better: 'lower',
            baseline: idle.latency.p99,
          },
        ],
      }
    } finally {
      await bare.stop()
    }
  } finally {
    await infra.stop()
  }
}
