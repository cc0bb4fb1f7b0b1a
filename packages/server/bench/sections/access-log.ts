import type { Figure, Section } from '@infra/test-harness/bench'
import { DEFAULT_SETTINGS } from '../../src/context.js'
import { adminKey, load, loadFigures } from '../load.js'
import { startInfraServer } from '../processes.js'

const SAMPLED = '0.01'
const SETTINGS = [
  {
    id: 'default',
    label: `as shipped (\`--access-log ${DEFAULT_SETTINGS.accessLog}\`)`,
    value: String(DEFAULT_SETTINGS.accessLog),
  },
  { id: 'sampled', label: `sampled (\`--access-log ${SAMPLED}\`)`, value: SAMPLED },
  { id: 'all', label: 'every request (`--access-log all`)', value: 'all' },
] as const

/** Throughput and p99 of `GET /api/users/self` at log level info with `--access-log setting`. */
async function measure(databaseUrl: string, setting: string) {
  const infra = await startInfraServer(
    databaseUrl,
    adminKey,
    ['--rate-limit', '100000000', '--access-log', setting],
    { logLevel: 'info' },
  )
  try {
    const url = `http://127.0.0.1:${infra.port}/api/users/self`
    await load(url, { duration: 2 })
    return await load(url)
  } finally {
    await infra.stop()
  }
}

export async function accessLog(databaseUrl: string): Promise<Section> {
  const baseline = await measure(databaseUrl, 'off')
  const figures: Figure[] = []
  for (const setting of SETTINGS) {
    figures.push(
      ...loadFigures(setting.id, setting.label, await measure(databaseUrl, setting.value), baseline),
    )
  }
  return {
    id: 'access-log',
    title: 'The cost of the access log: `GET /api/users/self`, 64 concurrent clients, log level info',
    description:
      'One `infra-server` process (`--workers 1`) over HTTP writing its log to a file, with each access log ' +
      'setting; the baseline is the access log off (`--access-log off`).',
    baseline: 'access log off',
    figures,
    notes:
      'Every answer here is a successful quick read, which is what sampling leaves out; writes, answers of 400 and ' +
      'above and slow requests are logged whatever the setting.',
  }
}
