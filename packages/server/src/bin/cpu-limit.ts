import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'

/**
 * How many CPUs a container's limit allows, rounded down (at least 1), or undefined without a limit: cgroup v2's
 * `cpu.max` ("QUOTA PERIOD", or "max PERIOD" for none), else cgroup v1's `cpu.cfs_quota_us` (-1 for none) over
 * `cpu.cfs_period_us`. Read in this process's own cgroup (per /proc/self/cgroup) and at the root of the mount,
 * which is where a container with its own cgroup namespace sees it.
 */
export function cpuLimit(
  cgroupRoot = '/sys/fs/cgroup',
  selfCgroupFile = '/proc/self/cgroup',
): number | undefined {
  const memberships = read(selfCgroupFile)?.split('\n') ?? []
  const v2Path = memberships.find((line) => line.startsWith('0::'))?.slice(3)
  const v1Path = memberships
    .map((line) => line.split(':'))
    .find(([, controllers]) => controllers?.split(',').includes('cpu'))?.[2]
  for (const dir of candidates(cgroupRoot, v2Path)) {
    const [quota, period] = read(join(dir, 'cpu.max'))?.split(/\s+/) ?? []
    if (quota !== undefined) return quota === 'max' ? undefined : cpus(Number(quota), Number(period))
  }
  for (const controller of ['cpu', 'cpu,cpuacct', 'cpuacct,cpu']) {
    for (const dir of candidates(join(cgroupRoot, controller), v1Path)) {
      const quota = read(join(dir, 'cpu.cfs_quota_us'))
      if (quota === undefined) continue
      return Number(quota) < 0 ? undefined : cpus(Number(quota), Number(read(join(dir, 'cpu.cfs_period_us'))))
    }
  }
  return undefined
}

/** The default of --workers: the CPUs this process may use, capped by the container's CPU limit. */
export function defaultWorkers(limit = cpuLimit()): number {
  return Math.min(availableParallelism(), limit ?? Infinity)
}

const candidates = (root: string, path: string | undefined) =>
  path && path !== '/' ? [join(root, path), root] : [root]

function cpus(quota: number, period: number): number | undefined {
  if (!(quota > 0 && period > 0)) return undefined
  return Math.max(1, Math.floor(quota / period))
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim()
  } catch {
    return undefined
  }
}
