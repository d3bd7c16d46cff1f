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

export interface PaymentEventDeps {
  schema: string
  log: Logger
}

async function apply(tx: Tx, deps: PaymentEventDeps, orderId: string, event: OrderEvent): Promise<void> {
  try {
    const order = await applyEvent(tx, deps, orderId, event)
    // The order is written before payment.requested leaves; its absence is not a race to wait out.
    if (!order) deps.log.error('payment event for an unknown order', { orderId, event: event.type })
  } catch (error) {
    if (!(error instanceof IllegalTransitionError)) throw error
    deps.log.warn('payment event refused by the order state', { orderId, from: error.from, event: event.type })
  }
}

export const paymentSucceeded = (deps: PaymentEventDeps): Handler<'payment.succeeded'> => (tx, event) =>
  apply(tx, deps, event.payload.orderId, { type: 'payment_succeeded' })

export const paymentDeclined = (deps: PaymentEventDeps): Handler<'payment.declined'> => (tx, event) =>
  apply(tx, deps, event.payload.orderId, { type: 'payment_declined', reason: event.payload.reason })

export const paymentRefunded = (deps: PaymentEventDeps): Handler<'payment.refunded'> => (tx, event) =>
  apply(tx, deps, event.payload.orderId, { type: 'payment_refunded' })

export const paymentVoided = (deps: PaymentEventDeps): Handler<'payment.voided'> => (tx, event) =>
  apply(tx, deps, event.payload.orderId, { type: 'payment_voided' })
