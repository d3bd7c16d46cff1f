import { describe, expect, test } from 'bun:test'
import { UpstreamPool, mayRetry } from './balancer.ts'

describe('UpstreamPool', () => {
  test('spreads requests over the instances in turn', () => {
    const pool = new UpstreamPool(['a', 'b', 'c'])
    expect(Array.from({ length: 6 }, () => pool.pick())).toEqual(['a', 'b', 'c', 'a', 'b', 'c'])
  })

  test('leaves an instance marked down out until its time is over', () => {
    let now = 0
    const pool = new UpstreamPool(['a', 'b'], 5000, () => now)
    pool.markDown('a')
    expect(Array.from({ length: 4 }, () => pool.pick())).toEqual(['b', 'b', 'b', 'b'])
    now = 5000
    expect(new Set(Array.from({ length: 4 }, () => pool.pick()))).toEqual(new Set(['a', 'b']))
    pool.markDown('b')
    pool.markUp('b')
    expect(pool.isDown('b')).toBe(false)
  })

  test('a retry goes to another instance; when every one is down they are tried anyway', () => {
    const pool = new UpstreamPool(['a', 'b'])
    pool.markDown('a')
    pool.markDown('b')
    const first = pool.pick()!
    expect(['a', 'b']).toContain(first)
    expect(pool.pick(new Set([first]))).toBe(first === 'a' ? 'b' : 'a')
    expect(pool.pick(new Set(['a', 'b']))).toBeUndefined()
  })

  test('needs at least one URL', () => {
    expect(() => new UpstreamPool([])).toThrow()
  })
})

describe('mayRetry', () => {
  const table: [string, boolean, 'refused' | 'broken' | 'unavailable', boolean][] = [
    ['POST', false, 'refused', true],
    ['POST', false, 'broken', false],
    ['POST', false, 'unavailable', false],
    ['POST', true, 'broken', true],
    ['POST', true, 'unavailable', true],
    ['PATCH', false, 'broken', false],
    ['DELETE', false, 'refused', true],
    ['GET', false, 'broken', true],
    ['HEAD', false, 'unavailable', true],
  ]
  for (const [method, key, failure, expected] of table)
    test(`${method}${key ? ' with an Idempotency-Key' : ''}, ${failure}: ${expected ? 'retried' : 'not retried'}`, () => {
      expect(mayRetry(method, key, failure)).toBe(expected)
    })
})
