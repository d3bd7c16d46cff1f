/**
 * The orders worker process: consumes payments' outcomes (`payment.succeeded`,
 * `payment.declined`, `payment.refunded`), relays orders' outbox (`payment.requested`,
 * `refund.requested`, `order.paid`, `order.cancelled`) and runs the reconciler.
 */
import { Consumer, type ConsumerOptions } from '@shop/shared/consumer'
import { connectSql, type Sql } from '@shop/shared/db'
import { every, onShutdown, runMain } from '@shop/shared/lifecycle'
import { createLogger, type Logger } from '@shop/shared/logger'
import { OutboxRelay } from '@shop/shared/outbox'
import { Queues, producerConnection } from '@shop/shared/queue'
import { migrateOrders } from './bootstrap.ts'
import { createCatalogClient, type CatalogClient } from './catalog-client.ts'
import { SCHEMA, readConfig } from './config.ts'
import { paymentDeclined, paymentRefunded, paymentSucceeded } from './jobs/payment-events.ts'
import { reconcile } from './reconciler.ts'

export interface OrdersWorkerDeps {
  sql: Sql
  schema: string
  redisUrl: string
  prefix: string
  log: Logger
  catalog: CatalogClient
  timeoutSeconds: number
  reconcileIntervalMs: number
  concurrency?: number
  afterCommit?: ConsumerOptions<'orders'>['afterCommit']
}

export function createOrdersWorker(deps: OrdersWorkerDeps) {
  const handlerDeps = { schema: deps.schema, log: deps.log }
  const consumer = new Consumer({
    queue: 'orders',
    sql: deps.sql,
    redisUrl: deps.redisUrl,
    prefix: deps.prefix,
    log: deps.log,
    concurrency: deps.concurrency ?? 16,
    afterCommit: deps.afterCommit,
    handlers: {
      'payment.succeeded': paymentSucceeded(handlerDeps),
      'payment.declined': paymentDeclined(handlerDeps),
      'payment.refunded': paymentRefunded(handlerDeps),
    },
  })
  const producer = producerConnection(deps.redisUrl)
  const queues = new Queues(producer, deps.prefix)
  const relay = new OutboxRelay({ sql: deps.sql, schema: deps.schema, queues, log: deps.log })
  const reconcileDeps = { sql: deps.sql, schema: deps.schema, log: deps.log, catalog: deps.catalog, timeoutSeconds: deps.timeoutSeconds }
  let reconciler: ReturnType<typeof every> | undefined
  return {
    consumer,
    relay,
    reconcile: () => reconcile(reconcileDeps),
    async start() {
      await relay.start()
      consumer.start()
      reconciler = every(deps.log, 'orders reconciled', deps.reconcileIntervalMs, () => reconcile(reconcileDeps))
    },
    async stop() {
      await reconciler?.run()
      await consumer.close(10_000)
      await relay.stop()
      await queues.close(3000)
      producer.disconnect()
    },
  }
}

if (import.meta.main) {
  await runMain('orders-worker', async () => {
    const config = readConfig()
    const log = createLogger('orders-worker', config.LOG_LEVEL)
    const sql = await connectSql({ url: config.DATABASE_URL, schema: SCHEMA, applicationName: 'orders-worker' })
    await migrateOrders(sql, SCHEMA, log)
    const worker = createOrdersWorker({
      sql,
      schema: SCHEMA,
      redisUrl: config.REDIS_URL,
      prefix: config.QUEUE_PREFIX,
      log,
      catalog: createCatalogClient({ baseUrl: config.CATALOG_URL, internalToken: config.INTERNAL_TOKEN }),
      timeoutSeconds: config.ORDER_TIMEOUT_SECONDS,
      reconcileIntervalMs: config.RECONCILE_INTERVAL_SECONDS * 1000,
      concurrency: config.ORDERS_WORKER_CONCURRENCY,
    })
    await worker.start()
    onShutdown(
      log,
      [
        every(log, 'inbox pruned', 3600_000, () => worker.consumer.pruneInbox()),
        { name: 'worker', run: () => worker.stop() },
        { name: 'postgres', run: () => sql.end({ timeout: 5 }) },
      ],
      15_000,
    )
    log.info('worker running', { queue: 'orders' })
  })
}
