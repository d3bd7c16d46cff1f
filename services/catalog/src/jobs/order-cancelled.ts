import type { Handler } from '@shop/shared/messaging/consumer'
import type { Logger } from '@shop/shared/runtime/logger'
import { giveBackIn } from '../modules/reservations/service.ts'

/**
 * `order.cancelled`: the reserved stock returns; an order cancelled after it was paid has its
 * items put back in stock (`restock` movements), once.
 */
export const orderCancelled =
  (deps: { log: Logger }): Handler<'order.cancelled'> =>
  (tx, event) =>
    giveBackIn(tx, deps.log, event.payload.orderId, 'cancelled')
