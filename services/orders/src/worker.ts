/**
 * The orders worker process: consumes payments' outcomes (`payment.succeeded`,
 * `payment.declined`, `payment.refunded`), relays orders' outbox (`payment.requested`,
 * `refund.requested`, `order.paid`, `order.cancelled`) and runs the reconciler.
 */
import type { ConsumerOptions } from '@shop/shared/consumer'
import type { Sql } from '@shop/shared/db'
import { every } from '@shop/shared/lifecycle'
import type { Logger } from '@shop/shared/logger'
import { createServiceWorker, runWorkerProcess } from '@shop/shared/worker-main'
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
  const worker = createServiceWorker({
    queue: 'orders',
    schema: deps.schema,
    sql: deps.sql,
    redisUrl: deps.redisUrl,
    prefix: deps.prefix,
    log: deps.log,
    concurrency: deps.concurrency ?? 16,
    afterCommit: deps.afterCommit,
    // In a batch, events of one order run in turn (the state machine reads the order, then writes it); others side by side.
    batchKey: (event) => (event.payload as { orderId: string }).orderId,
    handlers: {
      'payment.succeeded': paymentSucceeded(handlerDeps),
      'payment.declined': paymentDeclined(handlerDeps),
      'payment.refunded': paymentRefunded(handlerDeps),
    },
  })
  const reconcileDeps = {
    sql: deps.sql,
    schema: deps.schema,
    log: deps.log,
    catalog: deps.catalog,
    timeoutSeconds: deps.timeoutSeconds,
    dispatcher: worker.dispatcher,
  }
  let reconciler: ReturnType<typeof every> | undefined
  return {
    ...worker,
    reconcile: () => reconcile(reconcileDeps),
    async start() {
      await worker.start()
      reconciler = every(deps.log, 'orders reconciled', deps.reconcileIntervalMs, () => reconcile(reconcileDeps))
    },
    async stop() {
      await reconciler?.run()
      await worker.stop()
    },
  }
}

if (import.meta.main) {
  const config = readConfig()
  await runWorkerProcess({
    name: 'orders-worker',
    schema: SCHEMA,
    databaseUrl: config.DATABASE_URL,
    logLevel: config.LOG_LEVEL,
    migrate: migrateOrders,
    create: (sql, log) =>
      createOrdersWorker({
        sql,
        schema: SCHEMA,
        redisUrl: config.REDIS_URL,
        prefix: config.QUEUE_PREFIX,
        log,
        catalog: createCatalogClient({ baseUrl: config.CATALOG_URL, internalToken: config.INTERNAL_TOKEN }),
        timeoutSeconds: config.ORDER_TIMEOUT_SECONDS,
        reconcileIntervalMs: config.RECONCILE_INTERVAL_SECONDS * 1000,
        concurrency: config.ORDERS_WORKER_CONCURRENCY,
      }),
    describe: { queue: 'orders' },
  })
}
