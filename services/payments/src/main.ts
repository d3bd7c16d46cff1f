import { usersTokenVerifier } from '@shop/shared/http/auth'
import { connectSql } from '@shop/shared/data/db'
import { IdempotencyStore } from '@shop/shared/http/idempotency'
import { announce, every, onShutdown, runMain, listenAlone } from '@shop/shared/runtime/lifecycle'
import { createLogger } from '@shop/shared/runtime/logger'
import { createRedis } from '@shop/shared/data/redis'
import { createApp } from './app.ts'
import { migratePayments } from './bootstrap.ts'
import { SCHEMA, readConfig } from './config.ts'

await runMain('payments', async () => {
  const startedAt = performance.now()
  const config = readConfig()
  const log = createLogger('payments', config.LOG_LEVEL)
  const sql = await connectSql({ url: config.DATABASE_URL, schema: SCHEMA, applicationName: 'payments' })
  const redis = createRedis(config.REDIS_URL)
  await migratePayments(sql, SCHEMA, log)

  const idempotency = new IdempotencyStore(sql)
  const app = listenAlone(createApp({
    sql,
    redis,
    log,
    verifier: usersTokenVerifier(config),
    idempotency,
    maxDeposit: config.MAX_DEPOSIT,
    currencies: config.currencies,
  }), { port: config.PAYMENTS_PORT, hostname: config.HOST, what: 'the payments API', portEnv: 'PAYMENTS_PORT' })

  onShutdown(log, [
    every(log, 'idempotency keys pruned', 3600_000, () => idempotency.prune()),
    { name: 'http server', run: () => app.stop() },
    { name: 'postgres', run: () => sql.end({ timeout: 5 }) },
    { name: 'redis', run: () => redis.quit() },
  ])
  announce(log, app.server, config.HOST, startedAt)
})
