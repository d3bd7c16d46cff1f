import { describe, expect, test } from 'bun:test'
import { ratingAverage } from './rating.ts'

describe('ratingAverage', () => {
  test.each([
    [0, 0, null],
    [5, 1, 5],
    [9, 2, 4.5],
    [29, 20, 1.5], // 1.45 → halves up
    [10, 3, 3.3],
    [11, 3, 3.7],
    [349, 100, 3.5], // 3.49
    [3445, 1000, 3.4], // 3.445 → 3.4 (not a half at one decimal)
    [44995, 10000, 4.5], // 4.4995
  ])('sum %p over %p ratings → %p', (sum, count, average) => {
    expect(ratingAverage(sum, count)).toBe(average)
  })

  test('agrees with the SQL rounding for every sum of up to 200 ratings', () => {
    // round(s / c, 1) in exact decimal arithmetic, halves up: floor((s * 100 / c + 5) / 10) / 10
    for (let count = 1; count <= 200; count++)
      for (let sum = count; sum <= 5 * count; sum++) {
        const exact = Math.floor((Math.floor((sum * 100) / count) + 5) / 10) / 10
        expect(ratingAverage(sum, count)).toBe(exact)
      }
  })
})
