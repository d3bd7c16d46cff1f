/**
 * The order lifecycle as a pure function (no I/O): what an event does to an order, which
 * history entry it leaves, and which effects must follow in the same transaction.
 *
 *   NEW ──► PAID ──► SHIPPED ──► DELIVERED
 *    │        └──► CANCELLED (refund requested)
 *    └──► CANCELLED (reason)
 */

export const STATUSES = ['NEW', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED'] as const
export type Status = (typeof STATUSES)[number]
export type CancelReason = 'insufficient_funds' | 'no_wallet' | 'out_of_stock' | 'user_cancelled' | 'timeout' | 'currency_mismatch'
export type HistoryEvent = 'created' | 'paid' | 'cancelled' | 'shipped' | 'delivered' | 'refund_requested' | 'refunded'
export type RefundStatus = 'requested' | 'refunded' | null

export interface OrderState {
  status: Status
  reason: CancelReason | null
  refundStatus: RefundStatus
}

export type OrderEvent =
  | { type: 'payment_succeeded' }
  | { type: 'payment_declined'; reason: 'insufficient_funds' | 'no_wallet' | 'currency_mismatch' }
  | { type: 'payment_refunded' }
  | { type: 'cancel'; reason: 'user_cancelled' | 'timeout' }
  | { type: 'ship' }
  | { type: 'deliver' }

/** What follows a transition: events for other services. */
export type Effect = 'commit_stock' | 'release_stock' | 'request_refund'

export interface Transition {
  next: OrderState
  /** The history entries to append (none for a repeat that changes nothing). */
  history: { event: HistoryEvent; status: Status; reason: CancelReason | null }[]
  effects: Effect[]
}

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: Status,
    readonly event: OrderEvent['type'],
  ) {
    super(`An order that is ${from} cannot take ${event}`)
    this.name = 'IllegalTransitionError'
  }
}

const none = (state: OrderState): Transition => ({ next: state, history: [], effects: [] })

export function transition(state: OrderState, event: OrderEvent): Transition {
  const { status } = state
  switch (event.type) {
    case 'payment_succeeded':
      if (status === 'NEW')
        return { next: { ...state, status: 'PAID' }, history: [{ event: 'paid', status: 'PAID', reason: null }], effects: ['commit_stock'] }
      // Money arrived for an order that was cancelled meanwhile (timeout, user): give it back once.
      if (status === 'CANCELLED' && state.refundStatus === null)
        return {
          next: { ...state, refundStatus: 'requested' },
          history: [{ event: 'refund_requested', status, reason: state.reason }],
          effects: ['request_refund'],
        }
      // A repeated success for a paid (or later) order, or for one already being refunded.
      return none(state)
    case 'payment_declined':
      if (status === 'NEW')
        return {
          next: { ...state, status: 'CANCELLED', reason: event.reason },
          history: [{ event: 'cancelled', status: 'CANCELLED', reason: event.reason }],
          effects: ['release_stock'],
        }
      if (status === 'CANCELLED') return none(state)
      throw new IllegalTransitionError(status, event.type)
    case 'payment_refunded':
      if (state.refundStatus === 'refunded') return none(state)
      if (status !== 'CANCELLED') throw new IllegalTransitionError(status, event.type)
      return { next: { ...state, refundStatus: 'refunded' }, history: [{ event: 'refunded', status, reason: state.reason }], effects: [] }
    case 'cancel':
      if (status === 'NEW')
        return {
          next: { ...state, status: 'CANCELLED', reason: event.reason },
          history: [{ event: 'cancelled', status: 'CANCELLED', reason: event.reason }],
          effects: ['release_stock'],
        }
      if (status === 'PAID' && event.reason === 'user_cancelled')
        return {
          next: { status: 'CANCELLED', reason: event.reason, refundStatus: 'requested' },
          history: [
            { event: 'cancelled', status: 'CANCELLED', reason: event.reason },
            { event: 'refund_requested', status: 'CANCELLED', reason: event.reason },
          ],
          effects: ['request_refund'],
        }
      throw new IllegalTransitionError(status, event.type)
    case 'ship':
      if (status === 'PAID') return { next: { ...state, status: 'SHIPPED' }, history: [{ event: 'shipped', status: 'SHIPPED', reason: null }], effects: [] }
      throw new IllegalTransitionError(status, event.type)
    case 'deliver':
      if (status === 'SHIPPED')
        return { next: { ...state, status: 'DELIVERED' }, history: [{ event: 'delivered', status: 'DELIVERED', reason: null }], effects: [] }
      throw new IllegalTransitionError(status, event.type)
  }
}
