/** Builds a users app on a schema and Redis prefix of its own, for tests. */
import { trustedProxies } from '@shop/shared/http/client-address'
import { createRedis } from '@shop/shared/data/redis'
import { TEST_REDIS_URL, testLog, testSchema, uniqueName } from '@shop/shared/testing'
import { createApp, type UsersDeps } from './app.ts'
import { bootstrap } from './bootstrap.ts'

export const TEST_ISSUER = 'shop-users-test'
export const TEST_AUDIENCE = 'shop-test'

export async function createTestUsers(overrides: Partial<UsersDeps> & { admin?: { email: string; password: string } } = {}) {
  const db = testSchema('users')
  const redis = createRedis(TEST_REDIS_URL)
  const redisPrefix = uniqueName('users')
  const { keys, passwords } = await bootstrap({
    sql: db.sql,
    schema: db.schema,
    log: testLog,
    issuer: TEST_ISSUER,
    audience: TEST_AUDIENCE,
    accessTtlSeconds: 900,
    admin: overrides.admin,
  })
  const deps: UsersDeps = {
    sql: db.sql,
    redis,
    log: testLog,
    keys,
    passwords,
    redisPrefix,
    issuer: TEST_ISSUER,
    audience: TEST_AUDIENCE,
    accessTtlSeconds: 900,
    refreshTtlDays: 30,
    loginLimits: { perEmail: 10, perIp: 50, windowMs: 60_000 },
    // The test plays the gateway, from loopback.
    trustedProxies: trustedProxies(['127.0.0.1', '::1']),
    ...overrides,
  }
  const app = createApp(deps)
  let server: { stop(closeActive?: boolean): unknown } | undefined
  return {
    app,
    deps,
    db,
    /** Listens on a free loopback port (requests then have a peer address); returns the base URL. */
    listen() {
      const listening = app.listen({ port: 0, hostname: '127.0.0.1' }).server!
      server = listening
      return `http://127.0.0.1:${listening.port}`
    },
    async close() {
      await server?.stop(true)
      const keysLeft = await redis.keys(`${redisPrefix}:*`)
      if (keysLeft.length) await redis.del(...keysLeft)
      redis.disconnect()
      await db.drop()
    },
  }
}
