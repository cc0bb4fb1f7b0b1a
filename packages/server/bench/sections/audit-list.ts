import type { Section } from '@infra/test-harness/bench'
import { adminKey, headers, load, loadFigures } from '../load.js'
import { startBareExpress, startInfraServer } from '../processes.js'
import { withClient } from '../database.js'

/** BENCH_AUDIT_EVENTS shortens the seeding, which takes minutes at the full 10 million. */
const EVENTS = Number(process.env.BENCH_AUDIT_EVENTS ?? 10_000_000)
const PATH = '/api/audit/events?destination=cluster7&type=kube.request&outcome=failure&limit=100'

/**
 * Events 3 ms apart ending now, already sealed (so the server's sealer has nothing to do): 20 destinations,
 * 1,000 users, one in ten a login, one in fifty a failure. One statement; IDs are UUIDv7 of each event's time.
 */
async function seedAuditEvents(databaseUrl: string, count: number): Promise<void> {
  await withClient(databaseUrl, async (client) => {
    const head = await client.query<{ seq: string }>(`SELECT seq FROM audit_chain WHERE name = 'head'`)
    const after = head.rows[0]?.seq ?? '0'
    await client.query(
      `INSERT INTO audit_events (id, seq, time, occurred_at, type, outcome, actor_kind, actor_name, destination,
                                 details, digest, chain)
       SELECT (lpad(to_hex(ms), 12, '0') || '7' || substr(h, 1, 3) || '8' || substr(h, 4, 15))::uuid, $2::bigint + i,
              to_timestamp(ms / 1000.0), to_timestamp(ms / 1000.0),
              CASE WHEN i % 10 = 0 THEN 'login' ELSE 'kube.request' END,
              CASE WHEN i % 50 = 7 THEN 'failure' ELSE 'success' END,
              'user', 'user' || (i % 1000), 'cluster' || (i % 20),
              CASE WHEN i % 10 = 0 THEN '{"method":"password"}'::jsonb
                   ELSE '{"verb":"get","apiGroup":"","resource":"pods","namespace":"default",
                          "requestUri":"/api/v1/namespaces/default/pods","status":200,"durationMs":2,
                          "bytes":900,"decidedBy":"api-server","groups":["dev"]}'::jsonb END,
              '\\x00', '\\x00'
       FROM (SELECT i, (extract(epoch FROM now()) * 1000)::bigint - ($1::bigint - i) * 3 AS ms,
                    md5(i::text) AS h
             FROM generate_series(1, $1::bigint) AS i) AS series`,
      [count, after],
    )
    await client.query(`UPDATE audit_chain SET seq = seq + $1 WHERE name = 'head'`, [count])
    await client.query('ANALYZE audit_events')
  })
}

export async function auditList(databaseUrl: string): Promise<Section> {
  const seeding = Date.now()
  await seedAuditEvents(databaseUrl, EVENTS)
  const seededInSeconds = (Date.now() - seeding) / 1000
  const infra = await startInfraServer(databaseUrl, adminKey, ['--rate-limit', '100000000'])
  try {
    const base = `http://127.0.0.1:${infra.port}`
    const body = (await fetch(`${base}${PATH}`, { headers }).then((response) => response.json())) as {
      items: unknown[]
    }
    if (body.items.length !== 100) throw new Error(`the page holds ${body.items.length} events, not 100`)
    await load(`${base}${PATH}`, { duration: 2 }) // warm up
    const ours = await load(`${base}${PATH}`, { connections: 8 })
    const bare = await startBareExpress('/api/audit/events', body)
    try {
      const bareBase = `http://127.0.0.1:${bare.port}`
      await load(`${bareBase}${PATH}`, { duration: 2 })
      const baseline = await load(`${bareBase}${PATH}`, { connections: 8 })
      return {
        id: 'audit-list',
        title: `\`infra audit list\`'s filtered page over ${EVENTS.toLocaleString('en')} events, 8 concurrent clients`,
        description:
          `\`GET ${PATH}\` (destination, type and outcome filters, 100 events a page, each read itself ` +
          `recorded as an audit.read event) against bare Express serving the same JSON. Seeding took ` +
          `${Math.round(seededInSeconds)} s.`,
        baseline: 'bare Express, same JSON',
        figures: loadFigures(ours, baseline, { targets: { p99: { value: 50 } } }),
      }
    } finally {
      await bare.stop()
    }
  } finally {
    await infra.stop()
  }
}
