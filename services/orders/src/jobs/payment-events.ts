/**
 * payments' outcomes (succeeded, declined, refunded, voided), each applied to its order through the state machine inside the consumer's
 * transaction. A transition the machine refuses is logged and acknowledged: retrying cannot
 * make it legal.
 */
import type { Handler } from '@shop/shared/messaging/consumer'
import type { Tx } from '@shop/shared/data/db'
import type { Logger } from '@shop/shared/runtime/logger'
import { applyEvent } from '../modules/orders/service.ts'
import { IllegalTransitionError, type OrderEvent } from '../modules/orders/state.ts'
import type { OrderRow } from '../modules/orders/repository.ts'
import type { Histogram } from '@shop/shared/runtime/metrics'

export interface PaymentEventDeps {
  schema: string
  log: Logger
  /** Seconds from an order's creation to its PAID (the process's registry), observed as it turns PAID. */
  paidAfter?: Histogram<never>
}

async function apply(tx: Tx, deps: PaymentEventDeps, orderId: string, event: OrderEvent | ((order: OrderRow) => OrderEvent)): Promise<OrderRow | undefined> {
  const type = typeof event === 'function' ? 'payment_succeeded' : event.type
  try {
    const order = await applyEvent(tx, deps, orderId, event)
    // The order is written before payment.requested leaves; its absence is not a race to wait out.
    if (!order) deps.log.error('payment event for an unknown order', { orderId, event: type })
    return order
  } catch (error) {
    if (!(error instanceof IllegalTransitionError)) throw error
    deps.log.warn('payment event refused by the order state', { orderId, from: error.from, event: type })
    return undefined
  }
}

export const paymentSucceeded = (deps: PaymentEventDeps): Handler<'payment.succeeded'> => async (tx, event) => {
  // The order as locked, before the transition: only a NEW order that turns PAID is timed (a
  // late answer for a cancelled order is not). Observed inside the transaction: one retried after
  // a transient error is timed twice, which moves a percentile by nothing worth a round trip.
  let wasNew = false
  const order = await apply(tx, deps, event.payload.orderId, (locked) => ((wasNew = locked.status === 'NEW'), { type: 'payment_succeeded' }))
  if (wasNew && order?.status === 'PAID') deps.paidAfter?.observe((Date.now() - order.createdAt.getTime()) / 1000)
}

export const paymentDeclined = (deps: PaymentEventDeps): Handler<'payment.declined'> => async (tx, event) =>
  void (await apply(tx, deps, event.payload.orderId, { type: 'payment_declined', reason: event.payload.reason }))

export const paymentRefunded = (deps: PaymentEventDeps): Handler<'payment.refunded'> => async (tx, event) =>
  void (await apply(tx, deps, event.payload.orderId, { type: 'payment_refunded' }))

export const paymentVoided = (deps: PaymentEventDeps): Handler<'payment.voided'> => async (tx, event) =>
  void (await apply(tx, deps, event.payload.orderId, { type: 'payment_voided' }))
