import type { Handler } from '@shop/shared/messaging/consumer'
import type { Logger } from '@shop/shared/runtime/logger'
import { AppError } from '@shop/shared/http/errors'
import { releaseIn } from '../modules/reservations/service.ts'

/**
 * `order.cancelled`: the reserved stock returns. A paid order's stock was committed already and
 * stays out of stock (a refund does not restock); that case is logged and acknowledged.
 */
export const orderCancelled =
  (deps: { log: Logger }): Handler<'order.cancelled'> =>
  async (tx, event) => {
    try {
      await releaseIn(tx, deps.log, event.payload.orderId)
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error
      deps.log.warn('cancelled order reservation not released', { orderId: event.payload.orderId, code: error.code })
    }
  }
