/** Catalog on a schema of its own, for tests and the benchmark. */
import { createRedis } from '@shop/shared/data/redis'
import { IdempotencyStore } from '@shop/shared/http/idempotency'
import { TEST_REDIS_URL, call, testLog, testSchema, testTokens } from '@shop/shared/testing'
import { createApp } from './app.ts'
import { ListCache } from './modules/products/list-cache.ts'
import type { ProductPage } from './modules/products/service.ts'
import { migrateCatalog } from './bootstrap.ts'

export const TEST_INTERNAL_TOKEN = 'test-internal-token-0123456789'

export async function createTestCatalog() {
  const db = testSchema('cat')
  const redis = createRedis(TEST_REDIS_URL)
  const tokens = await testTokens()
  await migrateCatalog(db.sql, db.schema, testLog)
  // The list cache on, as the service runs: every test of the list also checks it is emptied in time.
  const listCache = new ListCache<ProductPage>()
  await listCache.start(db.sql, db.schema, testLog)
  const app = createApp({
    listCache,
    sql: db.sql,
    redis,
    log: testLog,
    verifier: tokens.verifier,
    idempotency: new IdempotencyStore(db.sql),
    internalToken: TEST_INTERNAL_TOKEN,
  })
  const adminToken = await tokens.sign(crypto.randomUUID(), 'admin')
  return {
    app,
    db,
    tokens,
    adminToken,
    /** Creates a product as an admin and returns it. */
    async product(fields: Partial<{ name: string; description: string; category: string; price: number; currency: string; stock: number }> = {}) {
      const res = await call(app, 'POST', '/api/products', {
        token: adminToken,
        body: { name: 'Thing', description: '', category: 'Misc', price: 1000, currency: 'EUR', stock: 10, ...fields },
      })
      if (res.status !== 201) throw new Error(`product not created: ${res.status} ${JSON.stringify(res.body)}`)
      return res.body as { id: string; name: string; price: number; stock: number; available: number }
    },
    /** Calls an internal route as the orders service would. */
    internal(method: string, path: string, body?: unknown) {
      return call(app, method, path, { body, headers: { 'x-service-token': TEST_INTERNAL_TOKEN } })
    },
    listCache,
    async close() {
      await listCache.stop()
      redis.disconnect()
      await db.drop()
    },
  }
}

export type TestCatalog = Awaited<ReturnType<typeof createTestCatalog>>

/** A PNG of random-looking pixels (hard to compress: about 3 bytes a pixel), for upload tests. */
export async function noisyPng(width: number, height: number): Promise<Buffer> {
  const { default: sharp } = await import('sharp')
  return sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).png().toBuffer()
}
