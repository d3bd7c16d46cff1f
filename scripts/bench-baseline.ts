/**
 * `bun run bench:baseline` (not a test): how fast this machine runs the smallest unit of work
 * the shop is made of, to read the other benchmarks against. Client CPU and wall time per
 * `select` through postgres.js one at a time and ten at a time (pipelined on one connection),
 * and per Redis PING through ioredis. On a typical laptop a sequential query costs 20-40 µs of
 * client CPU; a slow VM shows several times that, and every figure of `bun run bench` with it.
 * Uses DATABASE_URL / REDIS_URL (default: local servers); writes nothing.
 */
import postgres from 'postgres'
import { Redis } from 'ioredis'
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '@shop/shared/testing'

const N = 5000

async function measure(label: string, count: number, run: () => Promise<unknown>) {
  const cpu = process.cpuUsage()
  const started = performance.now()
  await run()
  const used = process.cpuUsage(cpu)
  const cpuUs = (used.user + used.system) / count
  const wallUs = ((performance.now() - started) * 1000) / count
  console.log(`  ${label.padEnd(34)} ${cpuUs.toFixed(1).padStart(7)} µs CPU   ${wallUs.toFixed(1).padStart(7)} µs wall`)
  return cpuUs
}

const sql = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} })
const redis = new Redis(TEST_REDIS_URL)
try {
  await sql`select 1`
  await redis.ping()
  console.log(`per operation (${N} each):`)
  const sequential = await measure('postgres.js select, one at a time', N, async () => {
    for (let i = 0; i < N; i++) await sql`select ${i}::int as x`
  })
  const pipelined = await measure('postgres.js select, ten at a time', N, async () => {
    for (let i = 0; i < N / 10; i++) await Promise.all(Array.from({ length: 10 }, (_, j) => sql`select ${j}::int as x`))
  })
  const ping = await measure('ioredis PING, one at a time', N, async () => {
    for (let i = 0; i < N; i++) await redis.ping()
  })
  console.log(`query_cpu_us=${sequential.toFixed(1)} pipelined_query_cpu_us=${pipelined.toFixed(1)} redis_ping_cpu_us=${ping.toFixed(1)}`)
} finally {
  await sql.end()
  redis.disconnect()
}
