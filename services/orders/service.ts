/** The orders service: the order saga, its history and live stream; its worker and the reconciler. */
import { usersTokenVerifier } from '@shop/shared/http/auth'
import { IdempotencyStore } from '@shop/shared/http/idempotency'
import { OutboxDispatcher } from '@shop/shared/messaging/outbox-dispatcher'
import { Queues, producerConnection } from '@shop/shared/messaging/queue'
import { defineService } from '@shop/shared/runtime/service'
import { createApp } from './src/app.ts'
import { MIGRATIONS } from './src/bootstrap.ts'
import { createCatalogClient } from './src/catalog-client.ts'
import { SCHEMA, readConfig } from './src/config.ts'
import { OrderEventHub } from './src/modules/events/hub.ts'
import { createOrdersWorker } from './src/worker.ts'

export const orders = defineService({
  name: 'orders',
  what: 'the orders API',
  port: { env: 'ORDERS_PORT', default: 8082 },
  schema: SCHEMA,
  migrations: MIGRATIONS,
  readConfig,
  api: async (rt) => {
    const { config, sql, log } = rt
    const hub = new OrderEventHub(sql, rt.schema, log)
    await hub.start()
    rt.onStop('event hub', () => hub.stop())
    const idempotency = new IdempotencyStore(sql)
    rt.every('idempotency keys pruned', 3600_000, () => idempotency.prune())
    // payment.requested and the other events the API writes go to BullMQ as their transactions
    // commit; the orders worker's relay sends whatever this process leaves behind.
    const producer = producerConnection(rt.redisUrl)
    const queues = new Queues(producer, rt.queuePrefix)
    rt.onStop('queues', () => queues.close(3000).then(() => producer.disconnect()))
    const dispatcher = new OutboxDispatcher({ sql, queues, log, registry: rt.metrics })
    rt.onStop('outbox dispatcher', () => dispatcher.stop())
    const app = createApp({
      sql,
      schema: rt.schema,
      redis: rt.redis,
      log,
      verifier: usersTokenVerifier(config),
      idempotency,
      catalog: createCatalogClient({ baseUrl: config.CATALOG_URL, internalToken: config.INTERNAL_TOKEN }),
      hub,
      heartbeatMs: config.SSE_HEARTBEAT_SECONDS * 1000,
      dispatcher,
      returnWindowDays: config.RETURN_WINDOW_DAYS,
      registry: rt.metrics,
    })
    // SSE streams are long-lived: Bun would close a connection idle for its default 10 s.
    return { app, hub, idleTimeoutSeconds: Math.min(255, config.SSE_HEARTBEAT_SECONDS * 4) }
  },
  worker: (rt) => {
    const { config } = rt
    const worker = createOrdersWorker({
      sql: rt.sql,
      schema: rt.schema,
      redisUrl: rt.redisUrl,
      prefix: rt.queuePrefix,
      log: rt.log,
      catalog: createCatalogClient({ baseUrl: config.CATALOG_URL, internalToken: config.INTERNAL_TOKEN }),
      timeoutSeconds: config.ORDER_TIMEOUT_SECONDS,
      reconcileIntervalMs: config.RECONCILE_INTERVAL_SECONDS * 1000,
      reaskSeconds: config.PAYMENT_REASK_SECONDS,
      reaskMaxSeconds: config.PAYMENT_REASK_MAX_SECONDS,
      concurrency: config.ORDERS_WORKER_CONCURRENCY,
      registry: rt.metrics,
    })
    return { ...worker, describe: { queue: 'orders' } }
  },
})
