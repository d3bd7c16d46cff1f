import type { Handler } from '@shop/shared/messaging/consumer'
import type { Logger } from '@shop/shared/runtime/logger'
import { giveBackIn } from '../modules/reservations/service.ts'

/**
 * `order.returned`: the goods of a paid order came back; its items are put back in stock
 * (`restock` movements), once. A repeat, or a return of an order never committed, only logs.
 */
export const orderReturned =
  (deps: { log: Logger }): Handler<'order.returned'> =>
  (tx, event) =>
    giveBackIn(tx, deps.log, event.payload.orderId, 'returned')
