import type { Handler } from '@shop/shared/messaging/consumer'
import type { Logger } from '@shop/shared/runtime/logger'
import { AppError } from '@shop/shared/http/errors'
import type { Tx } from '@shop/shared/data/db'
import type { EventEnvelope } from '@shop/shared/domain/contracts'
import { commitIn, commitManyIn } from '../modules/reservations/service.ts'

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

/**
 * A batch's `order.paid` events in one set-based statement (`commitManyIn`): the reservations
 * still reserved are committed; the events of the others (a repeat, a reservation released
 * meanwhile, none yet) are left to `orderPaid`, which says what happened to them as before.
 */
export const ordersPaid =
  (deps: { log: Logger }) =>
  async (tx: Tx, events: EventEnvelope<'order.paid'>[]): Promise<EventEnvelope<'order.paid'>[]> => {
    const left = await commitManyIn(tx, deps.log, events.map((e) => e.payload.orderId))
    return events.filter((e) => left.has(e.payload.orderId.toLowerCase()))
  }
