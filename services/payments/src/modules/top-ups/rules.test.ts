import { describe, expect, test } from 'bun:test'
import { decideTopUp, type ProviderReport, type TopUpStatus } from './rules.ts'

const topUp = (status: TopUpStatus) => ({ status, amountMinor: 2500, currency: 'EUR' })
const report = (status: TopUpStatus, over: Partial<ProviderReport> = {}): ProviderReport => ({
  ref: 'pi_1',
  status,
  amountReceivedMinor: status === 'succeeded' ? 2500 : 0,
  currency: 'EUR',
  reason: status === 'failed' ? 'Your card was declined.' : null,
  ...over,
})

describe('decideTopUp', () => {
  const table: [TopUpStatus, TopUpStatus, string][] = [
    ['pending', 'succeeded', 'credit'],
    ['failed', 'succeeded', 'credit'],
    ['canceled', 'succeeded', 'credit'],
    ['succeeded', 'succeeded', 'ignore'],
    ['pending', 'failed', 'mark:failed'],
    ['failed', 'failed', 'ignore'],
    ['canceled', 'failed', 'ignore'],
    ['succeeded', 'failed', 'ignore'],
    ['pending', 'canceled', 'mark:canceled'],
    ['failed', 'canceled', 'mark:canceled'],
    ['canceled', 'canceled', 'ignore'],
    ['succeeded', 'canceled', 'ignore'],
    ['pending', 'pending', 'ignore'],
    ['failed', 'pending', 'ignore'],
  ]
  for (const [current, reported, expected] of table)
    test(`${current} + provider ${reported} → ${expected}`, () => {
      const verdict = decideTopUp(topUp(current), report(reported))
      expect(verdict.action === 'mark' ? `mark:${verdict.status}` : verdict.action).toBe(expected)
    })

  test('a success for another amount or currency credits nothing', () => {
    expect(decideTopUp(topUp('pending'), report('succeeded', { amountReceivedMinor: 2499 })).action).toBe('mismatch')
    expect(decideTopUp(topUp('pending'), report('succeeded', { currency: 'USD' })).action).toBe('mismatch')
  })

  test("a failure carries the provider's reason", () => {
    expect(decideTopUp(topUp('pending'), report('failed'))).toEqual({ action: 'mark', status: 'failed', reason: 'Your card was declined.' })
  })
})
