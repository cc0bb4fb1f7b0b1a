// The soak's trend check refuses a leak and passes memory that only saws with the garbage collector.
import { describe, expect, it } from '@jest/globals'
import { isGrowing, trendOf } from './measure.js'

/** Minutes 2 to 10: `base` MiB, growing `leak` MiB a minute, sawing up `saw` MiB and back every 5 minutes. */
const samples = (base: number, leak: number, saw: number) =>
  Array.from({ length: 9 }, (_, index) => {
    const minute = index + 2
    return [minute, base + leak * minute + (saw * (minute % 5)) / 4] as const
  })

describe('the soak trend check', () => {
  it('finds the slope and how fast the floor rises', () => {
    const trend = trendOf([
      [2, 100],
      [3, 104],
      [4, 101],
      [5, 103],
    ])
    expect(trend.slope).toBeCloseTo(0.6)
    expect(trend.floorRise).toBeCloseTo(0.5)
  })

  it('passes memory that saws by 40 MiB without rising, as measured', () => {
    expect(isGrowing(trendOf(samples(135, 0, 40)))).toBe(false)
    expect(
      isGrowing(
        trendOf(
          [146.1, 148, 148, 134.4, 135.4, 149.3, 163.6, 173.6, 136.4].map((mib, i) => [i + 2, mib] as const),
        ),
      ),
    ).toBe(false)
  })

  it('refuses a leak of 3 KiB per request at the soak’s rate, even under the saw', () => {
    expect(isGrowing(trendOf(samples(135, 2, 40)))).toBe(true)
  })
})
