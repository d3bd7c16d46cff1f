import type { Handler } from '@shop/shared/messaging/consumer'
import type { Logger } from '@shop/shared/runtime/logger'
import { recordDelivery, recordReturn } from '../modules/reviews/repository.ts'

/** `order.delivered`: the customer received these products and may review them (a repeat records nothing). */
export const orderDelivered =
  (deps: { log: Logger }): Handler<'order.delivered'> =>
  async (tx, event) => {
    const { orderId, userId, items } = event.payload
    const recorded = await recordDelivery(tx, orderId, userId, [...new Set(items.map((i) => i.productId.toLowerCase()))])
    deps.log.info('purchases recorded', { orderId, userId, recorded })
  }

/** `order.returned`: the goods went back; the order's purchases no longer verify a review (its reviews stay). */
export const orderReturned =
  (deps: { log: Logger }): Handler<'order.returned'> =>
  async (tx, event) => {
    const returned = await recordReturn(tx, event.payload.orderId)
    deps.log.info('purchases returned', { orderId: event.payload.orderId, returned })
  }
