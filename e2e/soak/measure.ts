// What the soak measures: a process's resident memory, its trend, and the statuses a program logged.
import { readFileSync } from 'node:fs'

/** The resident set (VmRSS) of process `pid` in MiB, from /proc: the process itself, not a wrapper's. */
export function residentMiB(pid: number): number {
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
  if (kib === undefined) throw new Error(`process ${pid} reports no VmRSS (has it exited?)`)
  return Number(kib) / 1024
}

/**
 * How fast the floor may rise: what the garbage collector cannot free, the lowest RSS of each minute, which a leak
 * raises. Between collections RSS swings by up to 40 MiB over minutes (measured: the server's lowest of a minute
 * went 174, 197, 174, 187 MiB in minutes 7 to 10), so a least-squares slope over 10 minutes is noise at 1 MiB/min;
 * the lowest of the second half against the lowest of the first is steadier: after the warm-up it moved by
 * under 1 MiB/min in the 10-minute runs measured. Allowed: under 2 MiB/min, which a leak of 3 KiB per API request at
 * the soak's ~650 a minute exceeds (and a process growing by 2 MiB/min gains 2.8 GiB a day). Slower leaks need
 * the 30-minute run, where the same allowance weighs three times the minutes.
 */
export const MAX_FLOOR_RISE_MIB_PER_MIN = 2

export interface Trend {
  /** Least squares over the samples, MiB per minute: reported, not judged (see above). */
  slope: number
  /** The lowest of the second half less the lowest of the first, per minute between the halves. */
  floorRise: number
}

/** The trend of `[minute, MiB]` samples, each a minute's lowest, all after the warm-up: at least two. */
export function trendOf(samples: ReadonlyArray<readonly [number, number]>): Trend {
  if (samples.length < 2) throw new Error('a trend needs at least two minutes')
  const half = Math.floor(samples.length / 2)
  const [first, second] = [samples.slice(0, half), samples.slice(half)]
  const lowest = (part: typeof samples) => Math.min(...part.map(([, mib]) => mib))
  return {
    slope: leastSquaresSlope(samples),
    floorRise: (lowest(second) - lowest(first)) / (second[0]![0] - first[0]![0]),
  }
}

export const isGrowing = (trend: Trend): boolean => trend.floorRise >= MAX_FLOOR_RISE_MIB_PER_MIN

/** The slope of the least-squares line through the points `[x, y]`. */
function leastSquaresSlope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n
  const covariance = points.reduce((sum, [x, y]) => sum + (x - meanX) * (y - meanY), 0)
  const variance = points.reduce((sum, [x]) => sum + (x - meanX) ** 2, 0)
  return covariance / variance
}

/** How many of the JSON log lines in `file` that `select` picks have each `status`. */
export function statusCounts(
  file: string,
  select: (line: Record<string, unknown>) => boolean,
): Map<number, number> {
  const counts = new Map<number, number>()
  for (const text of readFileSync(file, 'utf8').split('\n')) {
    let line: Record<string, unknown>
    try {
      line = JSON.parse(text) as Record<string, unknown>
    } catch {
      continue // the start banner and other plain text
    }
    if (typeof line.status === 'number' && select(line))
      counts.set(line.status, (counts.get(line.status) ?? 0) + 1)
  }
  return counts
}
