/** The payments service: wallets and their ledger; its worker takes the money for orders. */
import { usersTokenVerifier } from '@shop/shared/http/auth'
import { IdempotencyStore } from '@shop/shared/http/idempotency'
import { defineService } from '@shop/shared/runtime/service'
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
    })
    return { app }
  },
  worker: (rt) => {
    const concurrency = rt.config.PAYMENTS_WORKER_CONCURRENCY
    const worker = createPaymentsWorker({ sql: rt.sql, schema: rt.schema, redisUrl: rt.redisUrl, prefix: rt.queuePrefix, log: rt.log, concurrency, registry: rt.metrics })
    return { ...worker, describe: { queue: 'payments', concurrency } }
  },
})
