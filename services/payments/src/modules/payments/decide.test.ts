import { describe, expect, test } from 'bun:test'
import { PaymentMismatchError, decide, decideRefund, decideVoid, type DecidedPayment, type PaymentRequest } from './decide.ts'

const request: PaymentRequest = { userId: 'u1', amount: 1000, currency: 'EUR' }
const decided = (status: DecidedPayment['status'], over: Partial<DecidedPayment> = {}): DecidedPayment => ({ ...request, status, ...over })

describe('decide: a payment request', () => {
  test.each([
    ['no wallet', undefined, undefined, { kind: 'decline', reason: 'no_wallet' }],
    ['a wallet in another currency', { currency: 'USD', balance: 5000 }, undefined, { kind: 'decline', reason: 'currency_mismatch' }],
    ['one cent short', { currency: 'EUR', balance: 999 }, undefined, { kind: 'decline', reason: 'insufficient_funds' }],
    ['an empty wallet', { currency: 'EUR', balance: 0 }, undefined, { kind: 'decline', reason: 'insufficient_funds' }],
    ['exactly enough', { currency: 'EUR', balance: 1000 }, undefined, { kind: 'pay' }],
    ['more than enough', { currency: 'EUR', balance: 5000 }, undefined, { kind: 'pay' }],
    // Decided once, the decision stands, whatever the wallet holds now.
    ['paid before, the wallet empty now', { currency: 'EUR', balance: 0 }, decided('succeeded'), { kind: 'repeat' }],
    ['declined before, the wallet full now', { currency: 'EUR', balance: 9999 }, decided('declined'), { kind: 'repeat' }],
    ['voided before (the order was cancelled)', { currency: 'EUR', balance: 9999 }, decided('voided'), { kind: 'repeat' }],
    ['refunded before', { currency: 'EUR', balance: 9999 }, decided('refunded'), { kind: 'repeat' }],
  ] as const)('%s', (_, wallet, before, expected) => {
    expect(decide(wallet, before, request)).toEqual(expected)
  })

  test.each([
    ['another user', { userId: 'u2' }],
    ['another amount', { amount: 1001 }],
    ['another currency', { currency: 'USD' }],
  ])('a decided payment and a request for %s: a mismatch, never a decision', (_, over) => {
    expect(() => decide({ currency: 'EUR', balance: 5000 }, decided('succeeded', over), request)).toThrow(PaymentMismatchError)
  })
})

describe('decideVoid: the order was cancelled before orders knew of a payment', () => {
  test.each([
    ['nothing decided yet: voided, a later request is refused', undefined, { kind: 'void' }],
    ['the money was taken: refunded', decided('succeeded'), { kind: 'refund' }],
    ['declined: nothing to give back', decided('declined'), { kind: 'repeat' }],
    ['voided already', decided('voided'), { kind: 'repeat' }],
    ['refunded already: not twice', decided('refunded'), { kind: 'repeat' }],
  ] as const)('%s', (_, before, expected) => {
    expect(decideVoid(before, request)).toEqual(expected)
  })

  test('a void naming another amount than the payment taken is a mismatch', () => {
    expect(() => decideVoid(decided('succeeded'), { ...request, amount: 5 })).toThrow(PaymentMismatchError)
  })
})

describe('decideRefund', () => {
  test.each([
    ['taken: refunded', decided('succeeded'), 'refund'],
    ['refunded already: reported again, not twice', decided('refunded'), 'repeat'],
    ['declined: nothing to give back', decided('declined'), 'nothing'],
    ['voided: nothing to give back', decided('voided'), 'nothing'],
  ] as const)('%s', (_, before, expected) => {
    expect(decideRefund(before, request)).toBe(expected)
  })

  test('a refund of another amount than was taken is a mismatch; for a payment never taken there is nothing to compare', () => {
    expect(() => decideRefund(decided('succeeded'), { ...request, amount: 9999 })).toThrow(PaymentMismatchError)
    expect(decideRefund(decided('declined'), { ...request, amount: 9999 })).toBe('nothing')
  })
})
