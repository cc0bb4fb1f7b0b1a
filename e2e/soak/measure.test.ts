// The soak's growth check refuses a leak and passes a heap that steps as caches fill.
import { describe, expect, it } from '@jest/globals'
import { growthOf, isGrowing } from './measure.js'

/** Minutes 4 to 10: `base` MiB, growing `leak` MiB a minute, with `jitter` MiB up and down. */
const samples = (base: number, leak: number, jitter: number) =>
  Array.from({ length: 7 }, (_, index) => {
    const minute = index + 4
    return [minute, base + leak * minute + (index % 2 === 0 ? jitter : -jitter)] as const
  })

describe('the soak growth check', () => {
  it('is the least-squares slope', () => {
    const slope = growthOf([
      [2, 100],
      [3, 104],
      [4, 101],
      [5, 103],
    ])
    expect(slope).toBeCloseTo(0.6)
  })

  it('passes a heap that only jitters', () => {
    expect(isGrowing(growthOf(samples(60, 0, 1.5)))).toBe(false)
  })

  it('refuses a leak of 2 KiB per request at the soak’s rate, even with the jitter', () => {
    expect(isGrowing(growthOf(samples(60, 1.3, 1.5)))).toBe(true)
  })

  it('needs two minutes', () => {
    expect(() => growthOf([[4, 60]])).toThrow('two minutes')
  })
})
