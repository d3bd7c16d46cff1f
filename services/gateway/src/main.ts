import { join, resolve } from 'node:path'
import { usersTokenVerifier } from '@shop/shared/http/auth'
import { trustedProxies } from '@shop/shared/http/client-address'
import { announce, onShutdown, runMain, listenAlone } from '@shop/shared/runtime/lifecycle'
import { createLogger } from '@shop/shared/runtime/logger'
import { workerConnection } from '@shop/shared/messaging/queue'
import { createRedis } from '@shop/shared/data/redis'
import { createApp } from './app.ts'
import { readConfig } from './config.ts'

const ROOT = join(import.meta.dir, '..', '..', '..')

await runMain('gateway', async () => {
  const startedAt = performance.now()
  const config = readConfig()
  const log = createLogger('gateway', config.LOG_LEVEL)
  const redis = createRedis(config.REDIS_URL)
  const queueConnection = workerConnection(config.REDIS_URL)
  const app = listenAlone(createApp({
    redis,
    queueConnection,
    log,
    verifier: usersTokenVerifier(config),
    upstreams: { users: config.USERS_URL, orders: config.ORDERS_URL, payments: config.PAYMENTS_URL, catalog: config.CATALOG_URL },
    prefix: config.QUEUE_PREFIX,
    origins: config.origins,
    maxBodyBytes: config.MAX_BODY_BYTES,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    userWritesPerMinute: config.WRITE_LIMIT_PER_MINUTE,
    anonymousWritesPerMinute: config.ANONYMOUS_WRITE_LIMIT_PER_MINUTE,
    trustedProxies: trustedProxies(config.TRUSTED_PROXIES),
    webDir: resolve(ROOT, config.WEB_DIR),
  }), {
    port: config.GATEWAY_PORT,
    hostname: config.HOST,
    what: 'the gateway',
    portEnv: 'GATEWAY_PORT',
    // SSE streams pass through: Bun would close a connection idle for its default 10 s.
    idleTimeout: 120,
  })

  onShutdown(log, [
    { name: 'http server', run: () => app.stop(true) },
    { name: 'redis', run: () => Promise.all([redis.quit(), queueConnection.quit()]) },
  ])
  announce(log, app.server, config.HOST, startedAt)
})
