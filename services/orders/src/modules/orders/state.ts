/**
 * The order lifecycle as a pure function (no I/O): what an event does to an order, which
 * history entry it leaves, and which effects must follow in the same transaction.
 *
 *   NEW ──► PAID ──► SHIPPED ──► DELIVERED ──► RETURN_REQUESTED ──► RETURNED (refund requested, restocked)
 *    │        └──► CANCELLED (refund requested, restocked)
 *    └──► CANCELLED (reason; the payment voided, the reservation released)
 *
 * Besides the status, an order may be waiting for an answer from payments (`awaiting`): its
 * payment while NEW, the void of a payment it cancelled before knowing of one, or a refund. The
 * reconciler asks again while an answer is overdue, because Redis may forget a request or an
 * answer after the outbox marked it sent.
 */
import type { CancelReason, DeclineReason } from '@shop/shared/domain/contracts'

export type { CancelReason }

export const STATUSES = ['NEW', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED', 'RETURN_REQUESTED', 'RETURNED'] as const
export type Status = (typeof STATUSES)[number]
export const HISTORY_EVENTS = ['created', 'paid', 'cancelled', 'shipped', 'delivered', 'refund_requested', 'refunded', 'return_requested', 'returned'] as const
export type HistoryEvent = (typeof HISTORY_EVENTS)[number]
export type RefundStatus = 'requested' | 'refunded' | null
/** A void of the payment: asked of payments when a NEW order is cancelled, confirmed by its answer. */
export type VoidStatus = 'requested' | 'confirmed' | null

export interface OrderState {
  status: Status
  reason: CancelReason | null
  refundStatus: RefundStatus
  voidStatus: VoidStatus
}

export type OrderEvent =
  | { type: 'payment_succeeded' }
  | { type: 'payment_declined'; reason: DeclineReason }
  | { type: 'payment_refunded' }
  | { type: 'payment_voided' }
  | { type: 'cancel'; reason: 'user_cancelled' | 'timeout' }
  | { type: 'ship' }
  | { type: 'deliver' }
  /** The customer asks to send a delivered order back: allowed `windowDays` after `deliveredAt`. */
  | { type: 'request_return'; deliveredAt: Date; now: Date; windowDays: number }
  /** The goods of a return came back (the owner says so). */
  | { type: 'receive_return' }

/**
 * What follows a transition: events for other services. `release_stock` (order.cancelled) gives
 * the stock back whatever became of the reservation: released while reserved, restocked once
 * committed; `restock` (order.returned) puts a returned order's goods back.
 */
/** What must follow a transition in its transaction; `announce_delivery`: reviews learns who received what (order.delivered). */
export type Effect = 'commit_stock' | 'release_stock' | 'restock' | 'request_refund' | 'void_payment' | 'announce_delivery'

export interface Transition {
  next: OrderState
  /** The history entries to append (none for a change the customer does not see, or a repeat). */
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

/** A return asked for after the window closed (a conflict of its own, with its own words). */
export class ReturnWindowClosedError extends Error {
  constructor(readonly windowDays: number) {
    super(`Returns are accepted within ${windowDays} days of delivery`)
    this.name = 'ReturnWindowClosedError'
  }
}

const DAY_MS = 86_400_000

const none = (state: OrderState): Transition => ({ next: state, history: [], effects: [] })

/** A requested void is settled by any final answer of payments: nothing was kept. */
const voidSettled = (state: OrderState): VoidStatus => (state.voidStatus === 'requested' ? 'confirmed' : state.voidStatus)

/** What the order waits to hear from payments, if anything: what the reconciler asks again. */
export type Awaiting = 'payment' | 'void' | 'refund' | null

export function awaiting(state: OrderState): Awaiting {
  if (state.voidStatus === 'requested') return 'void'
  if (state.refundStatus === 'requested') return 'refund'
  if (state.status === 'NEW') return 'payment'
  return null
}

/** True when `a` and `b` are the same state. */
export function sameState(a: OrderState, b: OrderState): boolean {
  return a.status === b.status && a.reason === b.reason && a.refundStatus === b.refundStatus && a.voidStatus === b.voidStatus
}

export function transition(state: OrderState, event: OrderEvent): Transition {
  const { status } = state
  switch (event.type) {
    case 'payment_succeeded':
      if (status === 'NEW')
        return { next: { ...state, status: 'PAID' }, history: [{ event: 'paid', status: 'PAID', reason: null }], effects: ['commit_stock'] }
      // Money arrived for an order that was cancelled meanwhile (timeout, user): give it back once
      // (the void asked for the same; payments refunds once, whichever comes first).
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
      // Declined before the void arrived: nothing was taken, so the void is settled too.
      if (status === 'CANCELLED') return { ...none(state), next: { ...state, voidStatus: voidSettled(state) } }
      throw new IllegalTransitionError(status, event.type)
    case 'payment_voided':
      if (status === 'CANCELLED') return { ...none(state), next: { ...state, voidStatus: voidSettled(state) } }
      throw new IllegalTransitionError(status, event.type)
    case 'payment_refunded':
      if (state.refundStatus === 'refunded') return { ...none(state), next: { ...state, voidStatus: voidSettled(state) } }
      if (status !== 'CANCELLED' && status !== 'RETURNED') throw new IllegalTransitionError(status, event.type)
      return {
        next: { ...state, refundStatus: 'refunded', voidStatus: voidSettled(state) },
        history: [{ event: 'refunded', status, reason: state.reason }],
        effects: [],
      }
    case 'cancel':
      // Payments may have taken the money already (its answer not yet here, or lost): void it.
      if (status === 'NEW')
        return {
          next: { ...state, status: 'CANCELLED', reason: event.reason, voidStatus: 'requested' },
          history: [{ event: 'cancelled', status: 'CANCELLED', reason: event.reason }],
          effects: ['release_stock', 'void_payment'],
        }
      // Paid, not yet shipped: the money back, and the goods (committed at payment) back in stock.
      if (status === 'PAID' && event.reason === 'user_cancelled')
        return {
          next: { ...state, status: 'CANCELLED', reason: event.reason, refundStatus: 'requested' },
          history: [
            { event: 'cancelled', status: 'CANCELLED', reason: event.reason },
            { event: 'refund_requested', status: 'CANCELLED', reason: event.reason },
          ],
          effects: ['request_refund', 'release_stock'],
        }
      throw new IllegalTransitionError(status, event.type)
    case 'ship':
      if (status === 'PAID') return { next: { ...state, status: 'SHIPPED' }, history: [{ event: 'shipped', status: 'SHIPPED', reason: null }], effects: [] }
      throw new IllegalTransitionError(status, event.type)
    case 'deliver':
      if (status === 'SHIPPED')
        return {
          next: { ...state, status: 'DELIVERED' },
          history: [{ event: 'delivered', status: 'DELIVERED', reason: null }],
          effects: ['announce_delivery'],
        }
      throw new IllegalTransitionError(status, event.type)
    case 'request_return':
      if (status !== 'DELIVERED') throw new IllegalTransitionError(status, event.type)
      if (event.now.getTime() > event.deliveredAt.getTime() + event.windowDays * DAY_MS) throw new ReturnWindowClosedError(event.windowDays)
      return { next: { ...state, status: 'RETURN_REQUESTED' }, history: [{ event: 'return_requested', status: 'RETURN_REQUESTED', reason: null }], effects: [] }
    case 'receive_return':
      if (status !== 'RETURN_REQUESTED') throw new IllegalTransitionError(status, event.type)
      return {
        next: { ...state, status: 'RETURNED', refundStatus: 'requested' },
        history: [
          { event: 'returned', status: 'RETURNED', reason: null },
          { event: 'refund_requested', status: 'RETURNED', reason: null },
        ],
        effects: ['request_refund', 'restock'],
      }
  }
}
