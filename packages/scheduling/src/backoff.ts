/** How long to wait before trying again: doubling from `initialMs` with each failure in a row, up to `maxMs`. */
export interface Backoff {
  initialMs: number
  maxMs: number
}

/** The wait before the next try after `failures` failures in a row (at least one). */
export function backoffDelay(backoff: Backoff, failures: number): number {
  // Capping the exponent keeps 2 ** n finite however long the failures go on.
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(Math.max(failures - 1, 0), 30))
}
