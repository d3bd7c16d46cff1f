import { usersTokenVerifier } from '@shop/shared/http/auth'
import { connectSql } from '@shop/shared/data/db'
import { IdempotencyStore } from '@shop/shared/http/idempotency'
import { announce, every, onShutdown, runMain, listenAlone } from '@shop/shared/runtime/lifecycle'
import { createLogger } from '@shop/shared/runtime/logger'
import { OutboxDispatcher } from '@shop/shared/messaging/outbox-dispatcher'
import { Queues, producerConnection } from '@shop/shared/messaging/queue'
import { createRedis } from '@shop/shared/data/redis'
import { createApp } from './app.ts'
import { migrateOrders } from './bootstrap.ts'
import { createCatalogClient } from './catalog-client.ts'
import { SCHEMA, readConfig } from './config.ts'
import { OrderEventHub } from './modules/events/hub.ts'

await runMain('orders', async () => {
  const startedAt = performance.now()
  const config = readConfig()
  const log = createLogger('orders', config.LOG_LEVEL)
  const sql = await connectSql({ url: config.DATABASE_URL, schema: SCHEMA, applicationName: 'orders' })
  const redis = createRedis(config.REDIS_URL)
  await migrateOrders(sql, SCHEMA, log)
  const hub = new OrderEventHub(sql, SCHEMA, log)
  await hub.start()
  const idempotency = new IdempotencyStore(sql)
  // payment.requested and the other events the API writes go to BullMQ as their transactions
  // commit; the orders worker's relay sends whatever this process leaves behind.
  const producer = producerConnection(config.REDIS_URL)
  const queues = new Queues(producer, config.QUEUE_PREFIX)
  const dispatcher = new OutboxDispatcher({ sql, queues, log })

  const app = listenAlone(createApp({
    sql,
    schema: SCHEMA,
    redis,
    log,
    verifier: usersTokenVerifier(config),
    idempotency,
    catalog: createCatalogClient({ baseUrl: config.CATALOG_URL, internalToken: config.INTERNAL_TOKEN }),
    hub,
    heartbeatMs: config.SSE_HEARTBEAT_SECONDS * 1000,
    dispatcher,
    // SSE streams are long-lived: Bun would close a connection idle for its default 10 s.
  }), {
    port: config.ORDERS_PORT,
    hostname: config.HOST,
    what: 'the orders API',
    portEnv: 'ORDERS_PORT',
    idleTimeout: Math.min(255, config.SSE_HEARTBEAT_SECONDS * 4),
  })

  onShutdown(log, [
    every(log, 'idempotency keys pruned', 3600_000, () => idempotency.prune()),
    { name: 'http server', run: () => app.stop(true) },
    { name: 'event hub', run: () => hub.stop() },
    { name: 'outbox dispatcher', run: () => dispatcher.stop() },
    { name: 'queues', run: () => queues.close(3000).then(() => producer.disconnect()) },
    { name: 'postgres', run: () => sql.end({ timeout: 5 }) },
    { name: 'redis', run: () => redis.quit() },
  ])
  announce(log, app.server, config.HOST, startedAt)
})
