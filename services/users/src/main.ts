import { trustedProxies } from '@shop/shared/http/client-address'
import { connectSql } from '@shop/shared/data/db'
import { announce, every, onShutdown, runMain, listenAlone } from '@shop/shared/runtime/lifecycle'
import { createLogger } from '@shop/shared/runtime/logger'
import { createRedis } from '@shop/shared/data/redis'
import { createApp } from './app.ts'
import { bootstrap } from './bootstrap.ts'
import { SCHEMA, readConfig } from './config.ts'
import { pruneSessions } from './modules/sessions/repository.ts'

await runMain('users', async () => {
  const startedAt = performance.now()
  const config = readConfig()
  const log = createLogger('users', config.LOG_LEVEL)
  const sql = await connectSql({ url: config.DATABASE_URL, schema: SCHEMA, applicationName: 'users' })
  const redis = createRedis(config.REDIS_URL)

  const { keys, passwords } = await bootstrap({
    sql,
    schema: SCHEMA,
    log,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    privateKeyPem: config.JWT_PRIVATE_KEY?.replaceAll('\\n', '\n'),
    keyId: config.JWT_KEY_ID,
    admin: config.ADMIN_EMAIL && config.ADMIN_PASSWORD ? { email: config.ADMIN_EMAIL, password: config.ADMIN_PASSWORD } : undefined,
  })

  const app = listenAlone(createApp({
    sql,
    redis,
    log,
    keys,
    passwords,
    redisPrefix: config.QUEUE_PREFIX,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    refreshTtlDays: config.REFRESH_TOKEN_TTL_DAYS,
    loginLimits: {
      perEmail: config.LOGIN_LIMIT_PER_EMAIL,
      perIp: config.LOGIN_LIMIT_PER_IP,
      windowMs: config.LOGIN_LIMIT_WINDOW_SECONDS * 1000,
    },
    trustedProxies: trustedProxies(config.TRUSTED_PROXIES),
  }), { port: config.USERS_PORT, hostname: config.HOST, what: 'the users API', portEnv: 'USERS_PORT' })

  onShutdown(log, [
    every(log, 'sessions pruned', 3600_000, () => pruneSessions(sql, 7)),
    { name: 'http server', run: () => app.stop() },
    { name: 'postgres', run: () => sql.end({ timeout: 5 }) },
    { name: 'redis', run: () => redis.quit() },
  ])
  announce(log, app.server, config.HOST, startedAt)
})
