import { CoalescingTask } from '@infra/scheduling'

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
  let failure: { error: unknown } | undefined
  const fail = (error: unknown) => {
    failure ??= { error }
    stopOthers.abort()
  }

  const complete = (): T | undefined => (names.every((name) => name in latest) ? (latest as T) : undefined)
  // A failed sync ends keepCurrent, so it is not retried.
  const syncs = new CoalescingTask({
    run: async () => {
      const state = complete()
      if (state && !stop.aborted) await options.sync({ ...state })
    },
    onError: fail,
  })

  const follow = async (name: keyof T) => {
    try {
      for await (const value of sources[name]) {
        if (stop.aborted) break
        latest[name] = value
        syncs.request()
      }
    } catch (error) {
      if (!stop.aborted) fail(error)
      else stopOthers.abort()
    }
  }

  await Promise.all(names.map(follow))
  // No source is left to ask for another.
  await syncs.idle()
  if (failure) throw failure.error
}
