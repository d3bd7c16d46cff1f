import type { Handler } from '@shop/shared/messaging/consumer'
import type { Logger } from '@shop/shared/runtime/logger'
import { AppError } from '@shop/shared/http/errors'
import type { Tx } from '@shop/shared/data/db'
import type { EventEnvelope } from '@shop/shared/domain/contracts'
import { commitMany } from '../modules/reservations/repository.ts'
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

/**
 * A batch's `order.paid` events in one set-based statement (`commitMany`): the reservations still
 * reserved are committed; the events of the others (a repeat, a reservation released meanwhile,
 * none yet) are left to `orderPaid`, which says what happened to them as before.
 */
export const ordersPaid =
  (deps: { log: Logger }) =>
  async (tx: Tx, events: EventEnvelope<'order.paid'>[]): Promise<EventEnvelope<'order.paid'>[]> => {
    const found = await commitMany(tx, [...new Set(events.map((e) => e.payload.orderId.toLowerCase()))])
    const committed = new Set(found.filter((f) => f.status === 'reserved').map((f) => f.orderId))
    if (committed.size) deps.log.info('reservations committed', { orders: committed.size })
    return events.filter((e) => !committed.has(e.payload.orderId.toLowerCase()))
  }
