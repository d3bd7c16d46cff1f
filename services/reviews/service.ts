/** The reviews service: verified-purchase reviews and product ratings; its worker keeps who received what. */
import { usersTokenVerifier } from '@shop/shared/http/auth'
import { OutboxDispatcher } from '@shop/shared/messaging/outbox-dispatcher'
import { Queues, producerConnection } from '@shop/shared/messaging/queue'
import { defineService } from '@shop/shared/runtime/service'
import { createApp } from './src/app.ts'
import { MIGRATIONS } from './src/bootstrap.ts'
import { createCatalogClient } from './src/catalog-client.ts'
import { SCHEMA, readConfig } from './src/config.ts'
import { createReviewsWorker } from './src/worker.ts'

export const reviews = defineService({
  name: 'reviews',
  what: 'the reviews API',
  port: { env: 'REVIEWS_PORT', default: 8085 },
  schema: SCHEMA,
  migrations: MIGRATIONS,
  readConfig,
  api: (rt) => {
    // review.changed goes to BullMQ as its transaction commits; the worker's relay sends what is left.
    const producer = producerConnection(rt.redisUrl)
    const queues = new Queues(producer, rt.queuePrefix)
    rt.onStop('queues', () => queues.close(3000).then(() => producer.disconnect()))
    const dispatcher = new OutboxDispatcher({ sql: rt.sql, queues, log: rt.log, registry: rt.metrics })
    rt.onStop('outbox dispatcher', () => dispatcher.stop())
    const app = createApp({
      sql: rt.sql,
      redis: rt.redis,
      log: rt.log,
      verifier: usersTokenVerifier(rt.config),
      catalog: createCatalogClient({ baseUrl: rt.config.CATALOG_URL }),
      dispatcher,
      registry: rt.metrics,
    })
    return { app }
  },
  worker: (rt) => {
    const concurrency = rt.config.REVIEWS_WORKER_CONCURRENCY
    const worker = createReviewsWorker({
      sql: rt.sql,
      schema: rt.schema,
      registry: rt.metrics,
      redisUrl: rt.redisUrl,
      prefix: rt.queuePrefix,
      log: rt.log,
      concurrency,
      resendAfterSeconds: rt.config.RATING_RESEND_SECONDS,
    })
    return { ...worker, describe: { queue: 'reviews', concurrency } }
  },
})
