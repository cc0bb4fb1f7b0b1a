import { cpuMilliseconds, type Figure, type Section } from '@infra/test-harness/bench'
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
    const pid = infra.process.pid ?? 0
    const cpuBefore = await cpuMilliseconds(pid)
    const result = await load(url)
    return {
      result,
      cpuPerRequestUs: (((await cpuMilliseconds(pid)) - cpuBefore) * 1000) / result.requests.total,
    }
  } finally {
    await infra.stop()
  }
}

export async function accessLog(databaseUrl: string): Promise<Section> {
  const baseline = await measure(databaseUrl, 'off')
  const figures: Figure[] = []
  for (const setting of SETTINGS) {
    const { result, cpuPerRequestUs } = await measure(databaseUrl, setting.value)
    figures.push(...loadFigures(result, baseline.result, { of: setting }), {
      id: `${setting.id}-cpu`,
      label: `${setting.label}, server CPU time per request`,
      value: cpuPerRequestUs,
      unit: 'µs',
      better: 'lower',
      baseline: baseline.cpuPerRequestUs,
    })
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
      'CPU time per request (from /proc) is the steadier measure of what the log costs: throughput moves with ' +
      'whatever else the machine runs. Every answer here is a successful quick read, which is what sampling leaves out; writes, answers of 400 and ' +
      'above and slow requests are logged whatever the setting.',
  }
}
