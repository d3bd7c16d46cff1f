/**
 * The money rules of a payment as pure functions (no I/O), like orders' `state.ts`: what a
 * request for an order's payment, or for its void, does, given the wallet and the decision
 * already taken for the order. `service.ts` locks the rows, calls these, and carries the
 * decision out in the same transaction.
 */
import type { DeclineReason } from '@shop/shared/domain/contracts'

export interface WalletView {
  currency: string
  balance: number
}

/** The decision already taken for an order, as far as the rules need it. */
export interface DecidedPayment {
  userId: string
  amount: number
  currency: string
  status: 'succeeded' | 'declined' | 'refunded' | 'voided'
}

export interface PaymentRequest {
  userId: string
  amount: number
  currency: string
}

/** What a payment request leads to. */
export type PaymentDecision =
  /** Debit the wallet by the amount. */
  | { kind: 'pay' }
  /** Take nothing, for this reason. */
  | { kind: 'decline'; reason: DeclineReason }
  /** Decided before (a repeat, or a request after a void): report that decision again, move nothing. */
  | { kind: 'repeat' }

/** What a void leads to. */
export type VoidDecision =
  /** Nothing decided yet: record the order as voided, so a later request is refused. */
  | { kind: 'void' }
  /** The money was taken: give it back. */
  | { kind: 'refund' }
  /** Declined, voided or refunded already: report that decision again, move nothing. */
  | { kind: 'repeat' }

/** A request that names an order's decided payment with another user, amount or currency: a bug upstream. */
export class PaymentMismatchError extends Error {
  constructor(what: string, decided: DecidedPayment, request: PaymentRequest) {
    super(`${what} (${request.amount} ${request.currency}) does not match the payment decided (${decided.amount} ${decided.currency})`)
    this.name = 'PaymentMismatchError'
  }
}

function assertSame(what: string, decided: DecidedPayment, request: PaymentRequest): void {
  if (decided.userId !== request.userId || decided.amount !== request.amount || decided.currency !== request.currency)
    throw new PaymentMismatchError(what, decided, request)
}

/**
 * A payment request: once decided, the decision stands (whatever the wallet holds now); else no
 * wallet, another currency or too little money declines, and enough money pays. The balance is
 * the one read under the wallet's lock.
 */
export function decide(wallet: WalletView | undefined, decided: DecidedPayment | undefined, request: PaymentRequest): PaymentDecision {
  if (decided) {
    assertSame('payment.requested', decided, request)
    return { kind: 'repeat' }
  }
  if (!wallet) return { kind: 'decline', reason: 'no_wallet' }
  if (wallet.currency !== request.currency) return { kind: 'decline', reason: 'currency_mismatch' }
  if (wallet.balance < request.amount) return { kind: 'decline', reason: 'insufficient_funds' }
  return { kind: 'pay' }
}

/** A void (the order was cancelled before orders knew of a payment): no money is kept, whatever came first. */
export function decideVoid(decided: DecidedPayment | undefined, request: PaymentRequest): VoidDecision {
  if (!decided) return { kind: 'void' }
  assertSame('void.requested', decided, request)
  return decided.status === 'succeeded' ? { kind: 'refund' } : { kind: 'repeat' }
}

/** What a refund request leads to: money given back once, nothing for a payment never taken. */
export function decideRefund(decided: DecidedPayment, request: PaymentRequest): 'refund' | 'repeat' | 'nothing' {
  if (decided.status === 'declined' || decided.status === 'voided') return 'nothing'
  assertSame('refund.requested', decided, request)
  return decided.status === 'refunded' ? 'repeat' : 'refund'
}
