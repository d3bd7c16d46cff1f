import { usersTokenVerifier } from '@shop/shared/http/auth'
import { connectSql } from '@shop/shared/data/db'
import { announce, onShutdown, runMain, listenAlone } from '@shop/shared/runtime/lifecycle'
import { createLogger } from '@shop/shared/runtime/logger'
import { createRedis } from '@shop/shared/data/redis'
import { createApp } from './app.ts'
import { migrateCatalog } from './bootstrap.ts'
import { SCHEMA, readConfig } from './config.ts'
import { seedDemoData } from './demo-data.ts'

await runMain('catalog', async () => {
  const startedAt = performance.now()
  const config = readConfig()
  const log = createLogger('catalog', config.LOG_LEVEL)
  const sql = await connectSql({ url: config.DATABASE_URL, schema: SCHEMA, applicationName: 'catalog' })
  const redis = createRedis(config.REDIS_URL)
  await migrateCatalog(sql, SCHEMA, log)
  if (config.DEMO_DATA) await seedDemoData(sql, log)

  const app = listenAlone(createApp({
    sql,
    redis,
    log,
    verifier: usersTokenVerifier(config),
    internalToken: config.INTERNAL_TOKEN,
  }), { port: config.CATALOG_PORT, hostname: config.HOST, what: 'the catalog API', portEnv: 'CATALOG_PORT' })

  onShutdown(log, [
    { name: 'http server', run: () => app.stop() },
    { name: 'postgres', run: () => sql.end({ timeout: 5 }) },
    { name: 'redis', run: () => redis.quit() },
  ])
  announce(log, app.server, config.HOST, startedAt)
})
