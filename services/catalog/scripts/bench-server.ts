/** The catalog app on a given schema and port, for bench-search.ts. Env: BENCH_SCHEMA, BENCH_PORT. */
import { createSql } from '@shop/shared/data/db'
import { createLogger } from '@shop/shared/runtime/logger'
import { createRedis } from '@shop/shared/data/redis'
import { IdempotencyStore } from '@shop/shared/http/idempotency'
import { TEST_DATABASE_URL, TEST_REDIS_URL, testTokens } from '@shop/shared/testing'
import { createApp } from '../src/app.ts'
import { ListCache } from '../src/modules/products/list-cache.ts'
import type { ProductPage } from '../src/modules/products/service.ts'

const sql = createSql({ url: TEST_DATABASE_URL, schema: process.env.BENCH_SCHEMA!, max: 10 })
const redis = createRedis(TEST_REDIS_URL)
const log = createLogger('catalog-bench', 'warn')
// As the service runs it (BENCH_LIST_CACHE=0: without, to see what Postgres alone does).
const listCache = process.env.BENCH_LIST_CACHE === '0' ? undefined : new ListCache<ProductPage>({ stockTtlMs: Number(process.env.BENCH_STOCK_TTL_MS ?? 250) })
await listCache?.start(sql, process.env.BENCH_SCHEMA!, log)
const app = createApp({
  listCache,
  sql,
  redis,
  log,
  verifier: (await testTokens()).verifier,
  idempotency: new IdempotencyStore(sql),
  internalToken: 'bench-internal-token-0123456789',
}).listen({ port: Number(process.env.BENCH_PORT), hostname: '127.0.0.1' })
process.on('SIGTERM', async () => {
  await app.stop()
  await sql.end({ timeout: 2 })
  redis.disconnect()
  process.exit(0)
})
process.stdout.write('ready\n')
