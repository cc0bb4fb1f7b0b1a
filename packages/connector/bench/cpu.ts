// CPU time of the processes taking part in a load run, and pinning them to CPUs.
import { cpuMilliseconds } from '@infra/test-harness/bench'
import { run } from '../test/env.js'
import type { LoadResult } from './load.js'

const cpuMs = (pid: number | undefined) => (pid === undefined ? Promise.resolve(NaN) : cpuMilliseconds(pid))

/** Pins a process (all its threads) to the given CPUs, e.g. '0' or '0-1'; false when taskset is missing. */
export async function pin(pid: number | undefined, cpuList: string): Promise<boolean> {
  if (pid === undefined) return false
  try {
    return (await run('taskset', ['-a', '-p', '-c', cpuList, String(pid)])).code === 0
  } catch {
    return false
  }
}

/** The processes whose CPU time is counted during each load run. */
export interface Processes {
  apiServer: number | undefined
  connector: number | undefined
}

/** CPU time (ms) each process used during a run. */
export interface CpuUse {
  apiServer: number
  loadGenerator: number
  connector: number
}

export interface Measured extends LoadResult {
  cpu: CpuUse
}

async function cpuNow(processes: Processes): Promise<CpuUse> {
  const own = process.cpuUsage()
  return {
    apiServer: await cpuMs(processes.apiServer),
    loadGenerator: (own.user + own.system) / 1000,
    connector: await cpuMs(processes.connector),
  }
}

/** A load run, with the CPU time the API server, the load generator and the connector spent on it. */
export async function measured(run: () => Promise<LoadResult>, processes: Processes): Promise<Measured> {
  const before = await cpuNow(processes)
  const result = await run()
  const after = await cpuNow(processes)
  return {
    ...result,
    cpu: {
      apiServer: after.apiServer - before.apiServer,
      loadGenerator: after.loadGenerator - before.loadGenerator,
      connector: after.connector - before.connector,
    },
  }
}

/** µs of CPU per request. */
export const perRequest = (cpuMsTotal: number, run: Measured) => (cpuMsTotal * 1000) / run.requests
