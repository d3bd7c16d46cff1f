import { authPlugin, createTokenVerifier } from '@shop/shared/http/auth'
import type { TrustedProxies } from '@shop/shared/http/client-address'
import type { Sql } from '@shop/shared/data/db'
import { pingSql } from '@shop/shared/data/db'
import type { Logger } from '@shop/shared/runtime/logger'
import { createRateLimiter } from '@shop/shared/http/rate-limit'
import { pingRedis, type Redis } from '@shop/shared/data/redis'
import { createServiceApp } from '@shop/shared/http/service-app'
import { authRoutes } from './modules/auth/routes.ts'
import { createAuthService } from './modules/auth/service.ts'
import type { PasswordHasher } from './modules/auth/password.ts'
import { keysRoutes } from './modules/keys/routes.ts'
import type { KeyRing } from './modules/keys/service.ts'
import { addressesRoutes } from './modules/addresses/routes.ts'
import { createAddressesService } from './modules/addresses/service.ts'
import { adminUsersRoutes } from './modules/users/admin-routes.ts'
import { usersRoutes } from './modules/users/routes.ts'
import { createUsersService } from './modules/users/service.ts'

export interface UsersDeps {
  sql: Sql
  redis: Redis
  log: Logger
  keys: KeyRing
  passwords: PasswordHasher
  /** Prefix of this deployment's Redis keys (QUEUE_PREFIX). */
  redisPrefix: string
  issuer: string
  audience: string
  accessTtlSeconds: number
  refreshTtlDays: number
  loginLimits: { perEmail: number; perIp: number; windowMs: number }
  /** Whose X-Forwarded-For is believed (the gateway); see shared/src/http/client-address.ts. */
  trustedProxies: TrustedProxies
}

/** Builds the users service app: no listen(), no globals. */
export function createApp(deps: UsersDeps) {
  const verifier = createTokenVerifier({ keys: deps.keys.localKeys, issuer: deps.issuer, audience: deps.audience })
  // The `auth` macro (a token, or the admin role) for every signed-in route.
  const tokens = authPlugin(verifier)
  const limiter = createRateLimiter(deps.redis, deps.redisPrefix)
  const users = createUsersService({ sql: deps.sql, passwords: deps.passwords, log: deps.log, limiter, passwordLimits: deps.loginLimits })
  const addresses = createAddressesService({ sql: deps.sql, log: deps.log })
  const auth = createAuthService({
    sql: deps.sql,
    keys: deps.keys,
    passwords: deps.passwords,
    limiter,
    log: deps.log,
    accessTtlSeconds: deps.accessTtlSeconds,
    refreshTtlDays: deps.refreshTtlDays,
    loginLimits: deps.loginLimits,
  })
  return createServiceApp({
    service: 'users',
    title: 'Shop users service',
    description: 'Accounts, credentials, sessions (refresh tokens), roles, address books and the JWKS that signs access tokens.',
    log: deps.log,
    checks: { postgres: () => pingSql(deps.sql), redis: () => pingRedis(deps.redis) },
  })
    .use(keysRoutes(deps.keys))
    .use(authRoutes(auth, { trustedProxies: deps.trustedProxies }))
    .use(usersRoutes(users, tokens))
    .use(addressesRoutes(addresses, tokens))
    .use(adminUsersRoutes(users, tokens))
}

export type App = ReturnType<typeof createApp>
