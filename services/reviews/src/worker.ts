/**
 * The reviews worker process: consumes `order.delivered` and `order.returned` (who holds which
 * product, the verified purchases) through the inbox, relays reviews' outbox (`review.changed`,
 * for the catalog's product ratings), and sends each rating change to the catalog once more a
 * while later (`resendRatings`).
 */
import type { ConsumerOptions } from '@shop/shared/messaging/consumer'
import type { Registry } from '@shop/shared/runtime/metrics'
import type { Sql } from '@shop/shared/data/db'
import type { Logger } from '@shop/shared/runtime/logger'
import { createServiceWorker } from '@shop/shared/messaging/service-worker'
import { every } from '@shop/shared/runtime/lifecycle'
import { resendRatings } from './modules/reviews/service.ts'
import { orderDelivered, orderReturned } from './jobs/purchases.ts'

export interface ReviewsWorkerDeps {
  /** The process's Prometheus registry (business metrics). */
  registry?: Registry
  sql: Sql
  schema: string
  redisUrl: string
  prefix: string
  log: Logger
  concurrency?: number
  afterCommit?: ConsumerOptions<'reviews'>['afterCommit']
  /** A rating change is sent to the catalog again this long after it (default 30). */
  resendAfterSeconds?: number
}

export function createReviewsWorker(deps: ReviewsWorkerDeps) {
  const worker = createServiceWorker({
    registry: deps.registry,
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
  const afterSeconds = deps.resendAfterSeconds ?? 30
  let resender: ReturnType<typeof every> | undefined
  let passing: Promise<number> | undefined
  // One pass at a time; each change is sent again once (then marked), so a pass is usually empty.
  const resend = () => (passing ??= resendRatings({ sql: deps.sql, dispatcher: worker.dispatcher }, afterSeconds).finally(() => (passing = undefined)))
  return {
    ...worker,
    resendRatings: resend,
    async start() {
      await worker.start()
      resender = every(deps.log, 'ratings sent again', Math.max(200, (afterSeconds * 1000) / 5), resend)
    },
    async stop() {
      await resender?.run()
      await passing?.catch(() => 0)
      await worker.stop()
    },
  }
}

// The entry of the worker process (the manifest imports this file for the factory above).
if (import.meta.main) {
  const [{ runWorker }, { reviews }] = await Promise.all([import('@shop/shared/runtime/service'), import('../service.ts')])
  await runWorker(reviews)
}
