import { describe, expect, it } from '@jest/globals'
import { keepCurrent } from '../src/index.js'

/** A source the test pushes values into; it ends when the signal aborts. */
function pushable<T>(signal: AbortSignal) {
  const queue: T[] = []
  let wake: (() => void) | undefined
  let failure: Error | undefined
  const wakeUp = () => {
    wake?.()
    wake = undefined
  }
  signal.addEventListener('abort', wakeUp)
  return {
    push(value: T) {
      queue.push(value)
      wakeUp()
    },
    fail(error: Error) {
      failure = error
      wakeUp()
    },
    async *[Symbol.asyncIterator](): AsyncGenerator<T> {
      while (!signal.aborted) {
        if (failure) throw failure
        const value = queue.shift()
        if (value !== undefined) yield value
        else await new Promise<void>((resolve) => (wake = resolve))
      }
    },
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5))

function setup() {
  const controller = new AbortController()
  const synced: { grants: string[]; destinations: string[] }[] = []
  let sources!: {
    grants: ReturnType<typeof pushable<string[]>>
    destinations: ReturnType<typeof pushable<string[]>>
  }
  let syncDelay = 0
  const running = keepCurrent<{ grants: string[]; destinations: string[] }>({
    sources: (signal) => {
      sources = { grants: pushable(signal), destinations: pushable(signal) }
      return sources
    },
    sync: async (state) => {
      synced.push(state)
      if (syncDelay) await new Promise((resolve) => setTimeout(resolve, syncDelay))
    },
    signal: controller.signal,
  })
  return { controller, synced, sources, running, slowSyncs: (ms: number) => (syncDelay = ms) }
}

describe('keepCurrent', () => {
  it('syncs once every source has a value, then on each change, with the latest of each', async () => {
    const t = setup()
    t.sources.grants.push(['view'])
    await tick()
    expect(t.synced).toEqual([])
    t.sources.destinations.push(['prod'])
    await tick()
    t.sources.grants.push(['view', 'edit'])
    await tick()
    expect(t.synced).toEqual([
      { grants: ['view'], destinations: ['prod'] },
      { grants: ['view', 'edit'], destinations: ['prod'] },
    ])
    t.controller.abort()
    await expect(t.running).resolves.toBeUndefined()
  })

  it('never syncs twice at once, and folds changes made meanwhile into one more sync', async () => {
    const t = setup()
    t.slowSyncs(50)
    t.sources.grants.push(['a'])
    t.sources.destinations.push(['prod'])
    await tick()
    for (const grant of ['b', 'c', 'd']) t.sources.grants.push([grant])
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(t.synced).toEqual([
      { grants: ['a'], destinations: ['prod'] },
      { grants: ['d'], destinations: ['prod'] },
    ])
    t.controller.abort()
    await t.running
  })

  it('stops every source and rejects with the error when one fails', async () => {
    const t = setup()
    t.sources.grants.push(['a'])
    t.sources.destinations.fail(new Error('401 Unauthorized'))
    await expect(t.running).rejects.toThrow('401 Unauthorized')
  })

  it('rejects when a sync fails', async () => {
    const controller = new AbortController()
    const running = keepCurrent<{ only: number }>({
      sources: (signal) => {
        const source = pushable<number>(signal)
        source.push(1)
        return { only: source }
      },
      sync: () => Promise.reject(new Error('kubeconfig is not valid YAML')),
      signal: controller.signal,
    })
    await expect(running).rejects.toThrow('kubeconfig is not valid YAML')
  })
})
