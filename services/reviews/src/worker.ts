/**
 * The reviews worker process: consumes `order.delivered` and `order.returned` (who holds which
 * product, the verified purchases) through the inbox, and relays reviews' outbox
 * (`review.changed`, for the catalog's product ratings).
 */
import type { ConsumerOptions } from '@shop/shared/messaging/consumer'
import type { Sql } from '@shop/shared/data/db'
import type { Logger } from '@shop/shared/runtime/logger'
import { createServiceWorker } from '@shop/shared/messaging/service-worker'
import { orderDelivered, orderReturned } from './jobs/purchases.ts'

export interface ReviewsWorkerDeps {
  sql: Sql
  schema: string
  redisUrl: string
  prefix: string
  log: Logger
  concurrency?: number
  afterCommit?: ConsumerOptions<'reviews'>['afterCommit']
}

export function createReviewsWorker(deps: ReviewsWorkerDeps) {
  return createServiceWorker({
    queue: 'reviews',
    schema: deps.schema,
    sql: deps.sql,
    redisUrl: deps.redisUrl,
    prefix: deps.prefix,
    log: deps.log,
    concurrency: deps.concurrency ?? 8,
    afterCommit: deps.afterCommit,
    // In a batch, an order's delivery and its return run in turn; other orders side by side.
    batchKey: (event) => (event.payload as { orderId: string }).orderId,
    handlers: {
      'order.delivered': orderDelivered({ log: deps.log }),
      'order.returned': orderReturned({ log: deps.log }),
    },
  })
}

// The entry of the worker process (the manifest imports this file for the factory above).
if (import.meta.main) {
  const [{ runWorker }, { reviews }] = await Promise.all([import('@shop/shared/runtime/service'), import('../service.ts')])
  await runWorker(reviews)
}
