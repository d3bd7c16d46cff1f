/**
 * The catalog worker process: consumes `order.paid` (commit the reservation: the stock leaves),
 * `order.cancelled` (release it, or restock a paid order's items) and `order.returned` (restock)
 * through the shared inbox, and `review.changed` (the product's rating). Catalog emits no events.
 */
import { Consumer, type ConsumerOptions } from '@shop/shared/messaging/consumer'
import type { Registry } from '@shop/shared/runtime/metrics'
import type { Sql } from '@shop/shared/data/db'
import type { EventEnvelope } from '@shop/shared/domain/contracts'
import type { Logger } from '@shop/shared/runtime/logger'
import { orderCancelled } from './jobs/order-cancelled.ts'
import { orderPaid, ordersPaid } from './jobs/order-paid.ts'
import { orderReturned } from './jobs/order-returned.ts'
import { reviewChanged } from './jobs/review-changed.ts'
import { lockProductsOf } from './modules/reservations/repository.ts'

export interface CatalogWorkerDeps {
  /** The process's Prometheus registry (business metrics). */
  registry?: Registry
  sql: Sql
  redisUrl: string
  prefix: string
  log: Logger
  concurrency?: number
  afterCommit?: ConsumerOptions<'catalog'>['afterCommit']
}

/** The order an event is about; undefined for a rating change. */
const orderIdOf = (event: EventEnvelope): string | undefined => (event.payload as { orderId?: string }).orderId

export function createCatalogConsumer(deps: CatalogWorkerDeps) {
  return new Consumer({
    registry: deps.registry,
    queue: 'catalog',
    sql: deps.sql,
    redisUrl: deps.redisUrl,
    prefix: deps.prefix,
    log: deps.log,
    concurrency: deps.concurrency ?? 8,
    afterCommit: deps.afterCommit,
    // In a batch, events of one order run in turn (an order's reservation is read, then written),
    // and a product's rating changes in turn; others side by side.
    batchKey: (event) => orderIdOf(event) ?? `rating:${(event.payload as { productId: string }).productId}`,
    // Every product the batch will move (its orders' and its ratings'), locked first in id order,
    // as reservations lock them: lanes that lock rows of their own could deadlock with them.
    lockFirst: (tx, events) =>
      lockProductsOf(
        tx,
        events.flatMap((e) => orderIdOf(e)?.toLowerCase() ?? []),
        events.flatMap((e) => (orderIdOf(e) ? [] : [(e.payload as { productId: string }).productId.toLowerCase()])),
      ),
    // A batch's payments commit in one statement: the product locks taken first are held shorter.
    batchHandlers: { 'order.paid': ordersPaid({ log: deps.log }) },
    handlers: {
      'order.paid': orderPaid({ log: deps.log }),
      'order.cancelled': orderCancelled({ log: deps.log }),
      'order.returned': orderReturned({ log: deps.log }),
      'review.changed': reviewChanged({ log: deps.log }),
    },
  })
}

// The entry of the worker process (the manifest imports this file for the factory above).
if (import.meta.main) {
  const [{ runWorker }, { catalog }] = await Promise.all([import('@shop/shared/runtime/service'), import('../service.ts')])
  await runWorker(catalog)
}
