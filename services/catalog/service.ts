/** The catalog service: products, their stock and its ledger; its worker settles reservations as orders end. */
import { usersTokenVerifier } from '@shop/shared/http/auth'
import { IdempotencyStore } from '@shop/shared/http/idempotency'
import { Queues } from '@shop/shared/messaging/queue'
import { workerGauges } from '@shop/shared/messaging/service-worker'
import { defineService } from '@shop/shared/runtime/service'
import { createApp } from './src/app.ts'
import { ListCache } from './src/modules/products/list-cache.ts'
import type { ProductPage } from './src/modules/products/service.ts'
import { MIGRATIONS } from './src/bootstrap.ts'
import { SCHEMA, readConfig } from './src/config.ts'
import { seedDemoData } from './src/demo-data.ts'
import { createCatalogConsumer } from './src/worker.ts'

export const catalog = defineService({
  name: 'catalog',
  what: 'the catalog API',
  port: { env: 'CATALOG_PORT', default: 8084 },
  schema: SCHEMA,
  migrations: MIGRATIONS,
  readConfig,
  prepare: async ({ config, sql, log }) => {
    if (config.DEMO_DATA) await seedDemoData(sql, log)
  },
  api: (rt) => {
    const idempotency = new IdempotencyStore(rt.sql)
    rt.every('idempotency keys pruned', 3600_000, () => idempotency.prune())
    const listCache = new ListCache<ProductPage>()
    // Served from Postgres until it listens; if LISTEN fails at start, the list is read from Postgres every time until the process restarts.
    listCache.start(rt.sql, rt.schema, rt.log).catch((error) => rt.log.warn('product list cache not listening: every list is read from Postgres', { error: (error as Error).message }))
    rt.onStop('product list cache', () => listCache.stop())
    const app = createApp({
      listCache,
      sql: rt.sql,
      redis: rt.redis,
      log: rt.log,
      verifier: usersTokenVerifier(rt.config),
      idempotency,
      internalToken: rt.config.INTERNAL_TOKEN,
      registry: rt.metrics,
    })
    return { app }
  },
  worker: (rt) => {
    const consumer = createCatalogConsumer({ sql: rt.sql, redisUrl: rt.redisUrl, prefix: rt.queuePrefix, log: rt.log, registry: rt.metrics })
    // Its queue's jobs and its dead letters on its /metrics (catalog has no outbox).
    const queues = new Queues(rt.redis, rt.queuePrefix)
    workerGauges(rt.metrics, rt.sql, queues, 'catalog', { outbox: false })
    return {
      consumer,
      start: () => consumer.start(),
      stop: () => consumer.close(10_000).finally(() => queues.close(3000)),
      pruneInbox: () => consumer.pruneInbox(),
      ready: () => consumer.ready(),
      describe: { queue: 'catalog' },
    }
  },
})
