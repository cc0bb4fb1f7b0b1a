/** Sources of state, by name: each yields its whole current value now and again whenever it changes. */
export type Sources<T> = { [K in keyof T]: AsyncIterable<T[K]> }

export interface KeepCurrentOptions<T> {
  /** Opens the sources; they must end when `signal` aborts (e.g. by passing it to each watch). */
  sources(signal: AbortSignal): Sources<T>
  /**
   * Brings the local state in line with the latest values: called once every source has yielded, then after
   * changes. Never runs twice at once; changes arriving while it runs are folded into one more call.
   */
  sync(state: T): Promise<void>
  signal: AbortSignal
}

/**
 * Follows every source until `signal` aborts (resolves) or one of them fails (rejects with its error, after
 * stopping the others), calling `sync` with the latest value of each.
 */
export async function keepCurrent<T extends Record<string, unknown>>(
  options: KeepCurrentOptions<T>,
): Promise<void> {
  const stopOthers = new AbortController()
  const stop = AbortSignal.any([options.signal, stopOthers.signal])
  const sources = options.sources(stop)
  const names = Object.keys(sources) as (keyof T)[]
  const latest: Partial<T> = {}
  let dirty = false
  // Set and cleared synchronously, so a change is either seen by the loop running or starts a new one.
  let syncing = false
  let synced = Promise.resolve()
  let failure: { error: unknown } | undefined

  const complete = (): T | undefined => (names.every((name) => name in latest) ? (latest as T) : undefined)
  const runSyncs = async () => {
    syncing = true
    try {
      while (dirty && !stop.aborted) {
        dirty = false
        const state = complete()
        if (!state) break
        try {
          await options.sync({ ...state })
        } catch (error) {
          failure ??= { error }
          stopOthers.abort()
        }
      }
    } finally {
      syncing = false
    }
  }
  const requestSync = () => {
    dirty = true
    if (!syncing) synced = runSyncs()
  }

  const follow = async (name: keyof T) => {
    try {
      for await (const value of sources[name]) {
        if (stop.aborted) break
        latest[name] = value
        requestSync()
      }
    } catch (error) {
      if (!stop.aborted) failure ??= { error }
      stopOthers.abort()
    }
  }

  await Promise.all(names.map(follow))
  // No source is left to start another.
  await synced
  if (failure) throw failure.error
}
