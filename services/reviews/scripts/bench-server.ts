/** The reviews app on a given schema and port, for bench-reviews.ts. Env: BENCH_SCHEMA, BENCH_PORT. */
import { createSql } from '@shop/shared/data/db'
import { createLogger } from '@shop/shared/runtime/logger'
import { createRedis } from '@shop/shared/data/redis'
import { TEST_DATABASE_URL, TEST_REDIS_URL, testTokens } from '@shop/shared/testing'
import { createApp } from '../src/app.ts'
import { createCatalogClient } from '../src/catalog-client.ts'

const sql = createSql({ url: TEST_DATABASE_URL, schema: process.env.BENCH_SCHEMA!, max: 10 })
const redis = createRedis(TEST_REDIS_URL)
const app = createApp({
  sql,
  redis,
  log: createLogger('reviews-bench', 'warn'),
  verifier: (await testTokens()).verifier,
  // Never asked: the benchmark's product has reviews, so it is known here.
  catalog: createCatalogClient({ baseUrl: 'http://127.0.0.1:9' }),
}).listen({ port: Number(process.env.BENCH_PORT), hostname: '127.0.0.1' })
process.on('SIGTERM', async () => {
  await app.stop()
  await sql.end({ timeout: 2 })
  redis.disconnect()
  process.exit(0)
})
process.stdout.write('ready\n')
