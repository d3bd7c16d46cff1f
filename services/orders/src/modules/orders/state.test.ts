import { describe, expect, test } from 'bun:test'
import { IllegalTransitionError, ReturnWindowClosedError, awaiting, transition, type OrderEvent, type OrderState, type Status } from './state.ts'

const state = (status: Status, extra: Partial<OrderState> = {}): OrderState => ({ status, reason: null, refundStatus: null, voidStatus: null, ...extra })

describe('transition', () => {
  test('NEW + payment succeeded → PAID, and the stock is committed', () => {
    const t = transition(state('NEW'), { type: 'payment_succeeded' })
    expect(t.next.status).toBe('PAID')
    expect(t.history).toEqual([{ event: 'paid', status: 'PAID', reason: null }])
    expect(t.effects).toEqual(['commit_stock'])
  })

  test.each(['insufficient_funds', 'no_wallet', 'currency_mismatch'] as const)('NEW + declined (%s) → CANCELLED with the reason, stock released', (reason) => {
    const t = transition(state('NEW'), { type: 'payment_declined', reason })
    expect(t.next).toEqual({ status: 'CANCELLED', reason, refundStatus: null, voidStatus: null })
    expect(t.effects).toEqual(['release_stock'])
  })

  test.each(['user_cancelled', 'timeout'] as const)('NEW + cancel (%s) → CANCELLED, stock released, the payment voided', (reason) => {
    const t = transition(state('NEW'), { type: 'cancel', reason })
    expect(t.next).toEqual({ status: 'CANCELLED', reason, refundStatus: null, voidStatus: 'requested' })
    expect(t.effects).toEqual(['release_stock', 'void_payment'])
  })

  test.each([
    ['payment_voided', { type: 'payment_voided' }],
    ['payment_declined', { type: 'payment_declined', reason: 'insufficient_funds' }],
  ] as const)('a requested void is confirmed by %s, with no history entry', (_, event) => {
    const t = transition(state('CANCELLED', { reason: 'timeout', voidStatus: 'requested' }), event)
    expect(t.next).toEqual({ status: 'CANCELLED', reason: 'timeout', refundStatus: null, voidStatus: 'confirmed' })
    expect(t.history).toEqual([])
    expect(t.effects).toEqual([])
  })

  test('a void that found the money taken: payment.refunded records the refund and settles the void', () => {
    const t = transition(state('CANCELLED', { reason: 'timeout', voidStatus: 'requested' }), { type: 'payment_refunded' })
    expect(t.next).toEqual({ status: 'CANCELLED', reason: 'timeout', refundStatus: 'refunded', voidStatus: 'confirmed' })
    expect(t.history.map((h) => h.event)).toEqual(['refunded'])
  })

  test('a late success and the void both lead to one refund: refund requested, then refunded, both settled', () => {
    const cancelled = transition(state('NEW'), { type: 'cancel', reason: 'timeout' }).next
    const late = transition(cancelled, { type: 'payment_succeeded' })
    expect(late.effects).toEqual(['request_refund'])
    expect(late.next).toMatchObject({ refundStatus: 'requested', voidStatus: 'requested' })
    const refunded = transition(late.next, { type: 'payment_refunded' })
    expect(refunded.next).toMatchObject({ refundStatus: 'refunded', voidStatus: 'confirmed' })
    expect(awaiting(refunded.next)).toBeNull()
    // The second payment.refunded (answering the other request) changes nothing.
    const again = transition(refunded.next, { type: 'payment_refunded' })
    expect(again.history).toEqual([])
    expect(again.next).toEqual(refunded.next)
  })

  test.each([
    [state('NEW'), 'payment'],
    [state('PAID'), null],
    [state('CANCELLED', { reason: 'timeout', voidStatus: 'requested' }), 'void'],
    [state('CANCELLED', { reason: 'timeout', voidStatus: 'confirmed' }), null],
    [state('CANCELLED', { reason: 'user_cancelled', refundStatus: 'requested' }), 'refund'],
    [state('CANCELLED', { reason: 'timeout', refundStatus: 'requested', voidStatus: 'requested' }), 'void'],
    [state('CANCELLED', { reason: 'user_cancelled', refundStatus: 'refunded' }), null],
    [state('CANCELLED', { reason: 'no_wallet' }), null],
    [state('DELIVERED'), null],
  ] as const)('awaiting(%j) is %p', (s, expected) => {
    expect(awaiting(s)).toBe(expected)
  })

  test('PAID + user cancel → CANCELLED with a refund requested and the goods back in stock', () => {
    const t = transition(state('PAID'), { type: 'cancel', reason: 'user_cancelled' })
    expect(t.next).toEqual({ status: 'CANCELLED', reason: 'user_cancelled', refundStatus: 'requested', voidStatus: null })
    expect(t.effects).toEqual(['request_refund', 'release_stock'])
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

  test('fulfilment: PAID → SHIPPED → DELIVERED; only the delivery is announced (to reviews)', () => {
    const shipped = transition(state('PAID'), { type: 'ship' })
    expect(shipped.next.status).toBe('SHIPPED')
    expect(shipped.effects).toEqual([])
    const delivered = transition(shipped.next, { type: 'deliver' })
    expect(delivered.next.status).toBe('DELIVERED')
    expect(delivered.effects).toEqual(['announce_delivery'])
  })

  const delivered = new Date('2026-11-01T12:00:00Z')
  const days = (n: number) => new Date(delivered.getTime() + n * 86_400_000)

  test('returns: DELIVERED → RETURN_REQUESTED within the window → RETURNED with a refund and a restock', () => {
    const asked = transition(state('DELIVERED'), { type: 'request_return', deliveredAt: delivered, now: days(29.9), windowDays: 30 })
    expect(asked.next.status).toBe('RETURN_REQUESTED')
    expect(asked.effects).toEqual([])
    expect(asked.history.map((h) => h.event)).toEqual(['return_requested'])
    expect(awaiting(asked.next)).toBe(null)
    const received = transition(asked.next, { type: 'receive_return' })
    expect(received.next).toEqual({ status: 'RETURNED', reason: null, refundStatus: 'requested', voidStatus: null })
    expect(received.effects).toEqual(['request_refund', 'restock'])
    expect(received.history.map((h) => h.event)).toEqual(['returned', 'refund_requested'])
    expect(awaiting(received.next)).toBe('refund')
    const refunded = transition(received.next, { type: 'payment_refunded' })
    expect(refunded.next.refundStatus).toBe('refunded')
    expect(refunded.history.map((h) => h.event)).toEqual(['refunded'])
    expect(transition(refunded.next, { type: 'payment_refunded' }).history).toEqual([])
  })

  test('a return asked after the window is refused with its own error; a second receive is illegal', () => {
    expect(() => transition(state('DELIVERED'), { type: 'request_return', deliveredAt: delivered, now: days(30.01), windowDays: 30 })).toThrow(ReturnWindowClosedError)
    expect(() => transition(state('RETURNED', { refundStatus: 'requested' }), { type: 'receive_return' })).toThrow(IllegalTransitionError)
    expect(() => transition(state('RETURN_REQUESTED'), { type: 'request_return', deliveredAt: delivered, now: delivered, windowDays: 30 })).toThrow(IllegalTransitionError)
  })

  const illegal: [Status, OrderEvent][] = [
    ['PAID', { type: 'receive_return' }],
    ['DELIVERED', { type: 'receive_return' }],
    ['SHIPPED', { type: 'request_return', deliveredAt: new Date(), now: new Date(), windowDays: 30 }],
    ['RETURN_REQUESTED', { type: 'cancel', reason: 'user_cancelled' }],
    ['RETURN_REQUESTED', { type: 'ship' }],
    ['RETURNED', { type: 'deliver' }],
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
    ['NEW', { type: 'payment_voided' }],
    ['PAID', { type: 'payment_voided' }],
  ]
  test.each(illegal)('%s + %j is refused', (status, event) => {
    expect(() => transition(state(status, status === 'CANCELLED' ? { reason: 'timeout' } : {}), event)).toThrow(IllegalTransitionError)
  })
})
