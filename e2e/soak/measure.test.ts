// The soak's trend check refuses a leak and passes a process whose memory only moves with the garbage collector.
import { describe, expect, it } from '@jest/globals'
import { isGrowing, trendOf } from './measure.js'

/** Ten minutes of samples: `base` MiB, growing `leak` MiB a minute, moved ±`noise` MiB by collections. */
const samples = (base: number, leak: number, noise: number) =>
  Array.from({ length: 10 }, (_, index) => {
    const minute = index + 1
    return [minute, base + leak * minute + (minute % 2 === 0 ? noise : -noise)] as const
  })

describe('the soak trend check', () => {
  it('finds the slope and the growth', () => {
    expect(
      trendOf([
        [1, 100],
        [2, 101],
        [3, 102],
      ]),
    ).toEqual({ slope: 1, growth: 0.02 })
  })

  it('passes memory that only moves with collections', () => {
    expect(isGrowing(trendOf(samples(170, 0, 4)))).toBe(false)
  })

  it('refuses a leak of 2 KiB per request at the soak’s rate, and a slow one that ends high', () => {
    expect(isGrowing(trendOf(samples(170, 1.3, 4)))).toBe(true)
    expect(
      isGrowing(
        trendOf([
          [1, 150],
          [2, 150],
          [3, 151],
          [4, 150],
          [5, 180],
        ]),
      ),
    ).toBe(true)
  })
})
