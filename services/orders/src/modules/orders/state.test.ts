import { describe, expect, test } from 'bun:test'
import { IllegalTransitionError, transition, type OrderEvent, type OrderState, type Status } from './state.ts'

const state = (status: Status, extra: Partial<OrderState> = {}): OrderState => ({ status, reason: null, refundStatus: null, ...extra })

describe('transition', () => {
  test('NEW + payment succeeded → PAID, and the stock is committed', () => {
    const t = transition(state('NEW'), { type: 'payment_succeeded' })
    expect(t.next.status).toBe('PAID')
    expect(t.history).toEqual([{ event: 'paid', status: 'PAID', reason: null }])
    expect(t.effects).toEqual(['commit_stock'])
  })

  test.each(['insufficient_funds', 'no_wallet', 'currency_mismatch'] as const)('NEW + declined (%s) → CANCELLED with the reason, stock released', (reason) => {
    const t = transition(state('NEW'), { type: 'payment_declined', reason })
    expect(t.next).toEqual({ status: 'CANCELLED', reason, refundStatus: null })
    expect(t.effects).toEqual(['release_stock'])
  })

  test.each(['user_cancelled', 'timeout'] as const)('NEW + cancel (%s) → CANCELLED, stock released, no refund', (reason) => {
    const t = transition(state('NEW'), { type: 'cancel', reason })
    expect(t.next).toEqual({ status: 'CANCELLED', reason, refundStatus: null })
    expect(t.effects).toEqual(['release_stock'])
  })

  test('PAID + user cancel → CANCELLED with a refund requested', () => {
    const t = transition(state('PAID'), { type: 'cancel', reason: 'user_cancelled' })
    expect(t.next).toEqual({ status: 'CANCELLED', reason: 'user_cancelled', refundStatus: 'requested' })
    expect(t.effects).toEqual(['request_refund'])
    expect(t.history.map((h) => h.event)).toEqual(['cancelled', 'refund_requested'])
  })

  test('a payment that arrives after a cancellation is refunded, once', () => {
    const cancelled = state('CANCELLED', { reason: 'timeout' })
    const first = transition(cancelled, { type: 'payment_succeeded' })
    expect(first.effects).toEqual(['request_refund'])
    expect(first.next.status).toBe('CANCELLED')
    const again = transition(first.next, { type: 'payment_succeeded' })
    expect(again.effects).toEqual([])
    expect(again.history).toEqual([])
  })

  test('refunded is recorded once on a cancelled order', () => {
    const requested = state('CANCELLED', { reason: 'user_cancelled', refundStatus: 'requested' })
    const t = transition(requested, { type: 'payment_refunded' })
    expect(t.next.refundStatus).toBe('refunded')
    expect(transition(t.next, { type: 'payment_refunded' }).history).toEqual([])
  })

  test('repeated events change nothing', () => {
    expect(transition(state('PAID'), { type: 'payment_succeeded' }).history).toEqual([])
    expect(transition(state('CANCELLED', { reason: 'no_wallet' }), { type: 'payment_declined', reason: 'no_wallet' }).history).toEqual([])
  })

  test('fulfilment: PAID → SHIPPED → DELIVERED', () => {
    const shipped = transition(state('PAID'), { type: 'ship' })
    expect(shipped.next.status).toBe('SHIPPED')
    expect(transition(shipped.next, { type: 'deliver' }).next.status).toBe('DELIVERED')
  })

  const illegal: [Status, OrderEvent][] = [
    ['NEW', { type: 'ship' }],
    ['NEW', { type: 'deliver' }],
    ['PAID', { type: 'deliver' }],
    ['PAID', { type: 'payment_declined', reason: 'no_wallet' }],
    ['PAID', { type: 'cancel', reason: 'timeout' }],
    ['SHIPPED', { type: 'cancel', reason: 'user_cancelled' }],
    ['DELIVERED', { type: 'cancel', reason: 'user_cancelled' }],
    ['CANCELLED', { type: 'cancel', reason: 'user_cancelled' }],
    ['CANCELLED', { type: 'ship' }],
    ['NEW', { type: 'payment_refunded' }],
    ['PAID', { type: 'payment_refunded' }],
  ]
  test.each(illegal)('%s + %j is refused', (status, event) => {
    expect(() => transition(state(status, status === 'CANCELLED' ? { reason: 'timeout' } : {}), event)).toThrow(IllegalTransitionError)
  })
})
