/** The users service: accounts, sessions, the signing keys whose JWKS every service trusts. */
import { trustedProxies } from '@shop/shared/http/client-address'
import { defineService } from '@shop/shared/runtime/service'
import { createApp } from './src/app.ts'
import { MIGRATIONS, prepareUsers } from './src/bootstrap.ts'
import { SCHEMA, readConfig } from './src/config.ts'
import { pruneSessions } from './src/modules/sessions/repository.ts'

export const users = defineService({
  name: 'users',
  what: 'the users API',
  port: { env: 'USERS_PORT', default: 8081 },
  schema: SCHEMA,
  migrations: MIGRATIONS,
  readConfig,
  // Behind the gateway on this machine: the client address for login limits comes from the
  // X-Forwarded-For that the gateway (on loopback) sets, and from no one else.
  localEnv: { TRUSTED_PROXIES: '127.0.0.1,::1' },
  prepare: ({ sql, log, config }) =>
    prepareUsers({
      sql,
      log,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      privateKeyPem: config.JWT_PRIVATE_KEY?.replaceAll('\\n', '\n'),
      keyId: config.JWT_KEY_ID,
      admin: config.ADMIN_EMAIL && config.ADMIN_PASSWORD ? { email: config.ADMIN_EMAIL, password: config.ADMIN_PASSWORD } : undefined,
    }),
  api: (rt, { keys, passwords }) => {
    const { config, sql } = rt
    rt.every('sessions pruned', 3600_000, () => pruneSessions(sql, 7))
    const app = createApp({
      sql,
      redis: rt.redis,
      log: rt.log,
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
    })
    return { app, keys, passwords }
  },
})
