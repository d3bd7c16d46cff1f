/** The gateway: the one public entry (the API, the combined docs, the queue dashboard, the web UI). */
import { join, resolve } from 'node:path'
import { usersTokenVerifier } from '@shop/shared/http/auth'
import { trustedProxies } from '@shop/shared/http/client-address'
import { workerConnection } from '@shop/shared/messaging/queue'
import { defineService } from '@shop/shared/runtime/service'
import { createApp } from './src/app.ts'
import { readConfig } from './src/config.ts'

const ROOT = join(import.meta.dir, '..', '..')

export const gateway = defineService({
  name: 'gateway',
  what: 'the gateway',
  port: { env: 'GATEWAY_PORT', default: 8080 },
  readConfig,
  api: (rt) => {
    const { config } = rt
    const queueConnection = workerConnection(rt.redisUrl)
    rt.onStop('queue dashboard connection', () => queueConnection.quit())
    const app = createApp({
      redis: rt.redis,
      queueConnection,
      log: rt.log,
      verifier: usersTokenVerifier(config),
      upstreams: { users: config.USERS_URL, orders: config.ORDERS_URL, payments: config.PAYMENTS_URL, catalog: config.CATALOG_URL, reviews: config.REVIEWS_URL },
      prefix: rt.queuePrefix,
      origins: config.origins,
      maxBodyBytes: config.MAX_BODY_BYTES,
      timeoutMs: config.UPSTREAM_TIMEOUT_MS,
      downSeconds: config.UPSTREAM_DOWN_SECONDS,
      registry: rt.metrics,
      userWritesPerMinute: config.WRITE_LIMIT_PER_MINUTE,
      anonymousWritesPerMinute: config.ANONYMOUS_WRITE_LIMIT_PER_MINUTE,
      webhooksPerMinute: config.WEBHOOK_LIMIT_PER_MINUTE,
      trustedProxies: trustedProxies(config.TRUSTED_PROXIES),
      webDir: resolve(ROOT, config.WEB_DIR),
    })
    // SSE streams pass through: Bun would close a connection idle for its default 10 s.
    return { app, idleTimeoutSeconds: 120 }
  },
})
