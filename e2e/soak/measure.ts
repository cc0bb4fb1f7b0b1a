// What the soak measures: a process's resident memory, the growth of its heap, and the statuses a program logged.
import { readFileSync } from 'node:fs'

/** The resident set (VmRSS) of process `pid` in MiB, from /proc: the process itself, not a wrapper's. */
export function residentMiB(pid: number): number {
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
  if (kib === undefined) throw new Error(`process ${pid} reports no VmRSS (has it exited?)`)
  return Number(kib) / 1024
}

/**
 * How fast the live heap (after a full collection, once a minute) may grow: under 1 MiB/min, which a leak of 2 KiB
 * per API request at the soak's ~650 a minute exceeds (a process growing by 1 MiB/min gains 1.4 GiB a day). Slower
 * leaks need the 30-minute run. Resident memory is shown but not judged: between collections it swings by up to
 * 40 MiB over minutes and V8 returns pages to the system when it likes (the server's lowest of a minute went 186,
 * 148, 182 MiB in minutes 7 to 9 of one run), so even the lowest of each half of the run moved by 12 MiB/min
 * without a leak.
 */
export const MAX_HEAP_GROWTH_MIB_PER_MIN = 1

export const isGrowing = (slope: number): boolean => slope >= MAX_HEAP_GROWTH_MIB_PER_MIN

/** MiB per minute of `[minute, MiB]` samples, by least squares: at least two. */
export function growthOf(samples: ReadonlyArray<readonly [number, number]>): number {
  if (samples.length < 2) throw new Error('a trend needs at least two minutes')
  return leastSquaresSlope(samples)
}

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
