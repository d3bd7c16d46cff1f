import type { Handler } from '@shop/shared/messaging/consumer'
import type { Logger } from '@shop/shared/runtime/logger'
import { AppError } from '@shop/shared/http/errors'
import { commitIn } from '../modules/reservations/service.ts'

/** `order.paid`: the reserved stock leaves. A reservation released meanwhile is logged, not retried. */
export const orderPaid =
  (deps: { log: Logger }): Handler<'order.paid'> =>
  async (tx, event) => {
    try {
      await commitIn(tx, deps.log, event.payload.orderId)
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error
      deps.log.error('order paid but its reservation cannot be committed', { orderId: event.payload.orderId, code: error.code })
    }
  }
