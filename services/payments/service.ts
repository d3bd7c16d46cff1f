/** The payments service: wallets, their ledger and top-ups; its worker takes the money for orders and rechecks top-ups. */
import { usersTokenVerifier } from '@shop/shared/http/auth'
import { IdempotencyStore } from '@shop/shared/http/idempotency'
import { OutboxDispatcher } from '@shop/shared/messaging/outbox-dispatcher'
import { Queues, producerConnection } from '@shop/shared/messaging/queue'
import { defineService } from '@shop/shared/runtime/service'
import { providersFromConfig } from './src/modules/top-ups/provider.ts'
import { createApp } from './src/app.ts'
import { MIGRATIONS } from './src/bootstrap.ts'
import { SCHEMA, readConfig } from './src/config.ts'
import { createPaymentsWorker } from './src/worker.ts'

export const payments = defineService({
  name: 'payments',
  what: 'the payments API',
  port: { env: 'PAYMENTS_PORT', default: 8083 },
  schema: SCHEMA,
  migrations: MIGRATIONS,
  readConfig,
  api: (rt) => {
    // top-up.changed goes to BullMQ as its transaction commits; the worker's relay sends what is left.
    const producer = producerConnection(rt.redisUrl)
    const queues = new Queues(producer, rt.queuePrefix)
    rt.onStop('queues', () => queues.close(3000).then(() => producer.disconnect()))
    const dispatcher = new OutboxDispatcher({ sql: rt.sql, queues, log: rt.log, registry: rt.metrics })
    rt.onStop('outbox dispatcher', () => dispatcher.stop())
    const idempotency = new IdempotencyStore(rt.sql)
    rt.every('idempotency keys pruned', 3600_000, () => idempotency.prune())
    const app = createApp({
      sql: rt.sql,
      redis: rt.redis,
      log: rt.log,
      verifier: usersTokenVerifier(rt.config),
      idempotency,
      maxDeposit: rt.config.MAX_DEPOSIT,
      currencies: rt.config.currencies,
      registry: rt.metrics,
      ...providersFromConfig(rt.config),
      dispatcher,
    })
    return { app }
  },
  worker: (rt) => {
    const concurrency = rt.config.PAYMENTS_WORKER_CONCURRENCY
    const worker = createPaymentsWorker({
      sql: rt.sql,
      schema: rt.schema,
      redisUrl: rt.redisUrl,
      prefix: rt.queuePrefix,
      log: rt.log,
      concurrency,
      registry: rt.metrics,
      topUps: { ...providersFromConfig(rt.config), recheckSeconds: rt.config.TOP_UP_RECHECK_SECONDS, expiryHours: rt.config.TOP_UP_EXPIRY_HOURS },
    })
    return { ...worker, describe: { queue: 'payments', concurrency, provider: rt.config.PAYMENT_PROVIDER } }
  },
})
