// What the soak measures: a process's resident memory, its trend, and the statuses a program logged.
import { readFileSync } from 'node:fs'

/** The resident set (VmRSS) of process `pid` in MiB, from /proc: the process itself, not a wrapper's. */
export function residentMiB(pid: number): number {
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
  if (kib === undefined) throw new Error(`process ${pid} reports no VmRSS (has it exited?)`)
  return Number(kib) / 1024
}

/**
 * No trend in what the collector cannot free (each minute's lowest RSS): after the warm-up its slope stays under
 * 1 MiB/min (a leak of 2 KiB per API request at the soak's ~650 a minute is 1.3 MiB/min; a process growing at
 * 1 MiB/min gains 1.4 GiB a day), and the last minute's is within 15 % of the lowest after the warm-up.
 */
export const MAX_SLOPE_MIB_PER_MIN = 1
export const MAX_GROWTH = 0.15

export interface Trend {
  /** MiB per minute, least squares. */
  slope: number
  /** The last sample over the smallest, less 1. */
  growth: number
}

/** The trend of `[minute, MiB]` samples (those after the warm-up). */
export function trendOf(samples: ReadonlyArray<readonly [number, number]>): Trend {
  const values = samples.map(([, mib]) => mib)
  return { slope: leastSquaresSlope(samples), growth: values[values.length - 1]! / Math.min(...values) - 1 }
}

export const isGrowing = (trend: Trend): boolean =>
  trend.slope >= MAX_SLOPE_MIB_PER_MIN || trend.growth >= MAX_GROWTH

/** The slope of the least-squares line through the points `[x, y]`. */
function leastSquaresSlope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length
  if (n < 2) throw new Error('a slope needs at least two points')
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
