import type { Section } from '@infra/test-harness/bench'
import { kubeRequestEvent } from '@infra/test-harness'
import { adminKey, headers, load, loadFigures } from '../load.js'
import { startInfraServer } from '../processes.js'

const BATCH = 100

async function call<T>(base: string, path: string, body: unknown, key = adminKey): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { ...headers, Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`)
  return (await response.json()) as T
}

/** A connector's access key, and the destination it reports for. */
async function connectorOf(base: string): Promise<string> {
  const user = await call<{ id: string }>(base, '/api/users', { name: 'bench-connector' })
  await call(base, '/api/grants', { user: user.id, privilege: 'connector', resource: 'infra' })
  await call(base, '/api/destinations', { name: 'bench-cluster', uniqueID: 'bench-cluster' })
  return (await call<{ accessKey: string }>(base, '/api/access-keys', { userID: user.id })).accessKey
}

/** Every request a batch of fresh events (new IDs), as a connector sends them. */
function ingestLoad(base: string, key: string, size: number) {
  return load(`${base}/api/audit/events`, {
    method: 'POST',
    headers: { ...headers, Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    connections: 8,
    setupClient: (client) => {
      client.setBody(batchBody(size))
      client.on('response', () => client.setBody(batchBody(size)))
    },
  })
}

const batchBody = (size: number) =>
  JSON.stringify({
    destination: 'bench-cluster',
    events: Array.from({ length: size }, () => kubeRequestEvent()),
  })

export async function auditIngest(databaseUrl: string): Promise<Section> {
  const infra = await startInfraServer(databaseUrl, adminKey, ['--rate-limit', '100000000'])
  try {
    const base = `http://127.0.0.1:${infra.port}`
    const key = await connectorOf(base)
    await ingestLoad(base, key, BATCH).then(() => undefined) // warm up
    const batched = await ingestLoad(base, key, BATCH)
    const single = await ingestLoad(base, key, 1)
    const [throughput, ...rest] = loadFigures(batched, single)
    return {
      id: 'audit-ingest',
      title: `\`POST /api/audit/events\` from connectors, batches of ${BATCH}, 8 concurrent connectors`,
      description:
        'The real `infra-server` storing kube.request events (fresh IDs every request), sealed into the chain ' +
        'meanwhile. The baseline sends one event per request.',
      baseline: 'one event per request',
      figures: [
        {
          id: 'events-per-second',
          label: 'events stored/s',
          value: batched.requests.average * BATCH,
          unit: 'events/s',
          better: 'higher',
          baseline: single.requests.average,
        },
        ...(throughput ? [throughput] : []),
        ...rest,
      ],
    }
  } finally {
    await infra.stop()
  }
}
