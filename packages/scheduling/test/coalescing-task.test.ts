import { describe, expect, it } from '@jest/globals'
import { setTimeout as sleep } from 'node:timers/promises'
import { backoffDelay, CoalescingTask, every } from '../src/index.js'

/** A run that waits until the test lets it finish, failing or not. */
function gatedRuns() {
  const gates: Array<{ finish: (error?: Error) => void }> = []
  let active = 0
  let maxActive = 0
  const run = () =>
    new Promise<void>((resolve, reject) => {
      active++
      maxActive = Math.max(maxActive, active)
      gates.push({
        finish: (error) => {
          active--
          if (error) reject(error)
          else resolve()
        },
      })
    })
  return { run, gates, maxActive: () => maxActive }
}

const until = async (check: () => boolean) => {
  for (let waited = 0; !check(); waited += 5) {
    if (waited > 2000) throw new Error('timed out')
    await sleep(5)
  }
}

describe('CoalescingTask', () => {
  it('runs at once, and folds requests during a run into one more run', async () => {
    const runs = gatedRuns()
    const task = new CoalescingTask({ run: runs.run, onError: () => undefined })
    task.request()
    expect(runs.gates).toHaveLength(1)
    task.request()
    task.request()
    task.request()
    expect(runs.gates).toHaveLength(1)
    runs.gates[0]?.finish()
    await until(() => runs.gates.length === 2)
    runs.gates[1]?.finish()
    await task.idle()
    expect(runs.gates).toHaveLength(2)
    expect(runs.maxActive()).toBe(1)
  })

  it('runs again after a run that nobody asked to repeat only when requested', async () => {
    let count = 0
    const task = new CoalescingTask({ run: () => Promise.resolve(void count++), onError: () => undefined })
    task.request()
    await task.idle()
    task.request()
    await task.idle()
    expect(count).toBe(2)
  })

  it('never overlaps runs however requests interleave', async () => {
    let active = 0
    let overlapped = false
    let count = 0
    const task = new CoalescingTask({
      run: async () => {
        active++
        if (active > 1) overlapped = true
        await sleep(Math.random() * 5)
        count++
        active--
      },
      onError: () => undefined,
    })
    for (let i = 0; i < 50; i++) {
      task.request()
      await sleep(Math.random() * 3)
    }
    await task.idle()
    expect(overlapped).toBe(false)
    expect(count).toBeGreaterThan(1)
    expect(count).toBeLessThanOrEqual(50)
  })

  it('reports a failure and retries with a doubling wait until a run succeeds', async () => {
    const errors: Array<[string, number | undefined]> = []
    const startedAt: number[] = []
    const task = new CoalescingTask({
      run: () => {
        startedAt.push(performance.now())
        return startedAt.length <= 3
          ? Promise.reject(new Error(`failure ${startedAt.length}`))
          : Promise.resolve()
      },
      onError: (error, retryInMs) => errors.push([(error as Error).message, retryInMs]),
      retry: { initialMs: 20, maxMs: 60 },
    })
    task.request()
    await until(() => startedAt.length === 4)
    expect(errors).toEqual([
      ['failure 1', 20],
      ['failure 2', 40],
      ['failure 3', 60],
    ])
    const waits = startedAt.slice(1).map((at, i) => at - (startedAt[i] as number))
    expect(waits[0]).toBeGreaterThanOrEqual(15)
    expect(waits[1]).toBeGreaterThanOrEqual(35)
    expect(waits[2]).toBeGreaterThanOrEqual(55)
    // A success ends the retries.
    await sleep(100)
    expect(startedAt).toHaveLength(4)
    task.stop()
  })

  it('starts the backoff over after a success', async () => {
    const retries: Array<number | undefined> = []
    let fail = true
    const task = new CoalescingTask({
      run: () => (fail ? Promise.reject(new Error('down')) : Promise.resolve()),
      onError: (_error, retryInMs) => retries.push(retryInMs),
      retry: { initialMs: 1000, maxMs: 10_000 },
    })
    task.request()
    await task.idle()
    task.request()
    await task.idle()
    fail = false
    task.request()
    await task.idle()
    fail = true
    task.request()
    await task.idle()
    expect(retries).toEqual([1000, 2000, 1000])
    task.stop()
  })

  it('runs a requested retry at once instead of waiting', async () => {
    let count = 0
    const task = new CoalescingTask({
      run: () => (++count === 1 ? Promise.reject(new Error('once')) : Promise.resolve()),
      onError: () => undefined,
      retry: { initialMs: 60_000, maxMs: 60_000 },
    })
    task.request()
    await task.idle()
    task.request()
    await task.idle()
    expect(count).toBe(2)
    task.stop()
  })

  it('does not retry without a backoff', async () => {
    const retries: Array<number | undefined> = []
    let count = 0
    const task = new CoalescingTask({
      run: () => {
        count++
        return Promise.reject(new Error('no'))
      },
      onError: (_error, retryInMs) => retries.push(retryInMs),
    })
    task.request()
    await task.idle()
    await sleep(30)
    expect(count).toBe(1)
    expect(retries).toEqual([undefined])
  })

  it('stops: lets the run in progress finish, then neither reruns, retries nor accepts requests', async () => {
    const runs = gatedRuns()
    const retries: Array<number | undefined> = []
    const task = new CoalescingTask({
      run: runs.run,
      onError: (_error, retryInMs) => retries.push(retryInMs),
      retry: { initialMs: 5, maxMs: 5 },
    })
    task.request()
    task.request()
    task.stop()
    let idle = false
    const stopping = task.idle().then(() => (idle = true))
    await sleep(10)
    expect(idle).toBe(false)
    runs.gates[0]?.finish(new Error('during stop'))
    await stopping
    task.request()
    await sleep(30)
    expect(runs.gates).toHaveLength(1)
    expect(retries).toEqual([undefined])
  })
})

describe('backoffDelay', () => {
  it('doubles from the initial wait up to the maximum', () => {
    const backoff = { initialMs: 500, maxMs: 30_000 }
    expect([1, 2, 3, 4, 6, 7, 1000].map((failures) => backoffDelay(backoff, failures))).toEqual([
      500, 1000, 2000, 4000, 16_000, 30_000, 30_000,
    ])
  })
})

describe('every', () => {
  it('ticks until stopped', async () => {
    let ticks = 0
    const stop = every(5, () => ticks++)
    await until(() => ticks >= 3)
    stop()
    const stoppedAt = ticks
    await sleep(30)
    expect(ticks).toBe(stoppedAt)
  })
})
