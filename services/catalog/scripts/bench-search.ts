/**
 * Benchmark (not a test) of `GET /api/products?q=...` on 10,000 products. The catalog app runs
 * in a child process (as in production); this process is the load generator: C concurrent
 * connections for D seconds, rotating over search words that match many, some or few products.
 * Prints requests/s, latency p50/p99 and the server's CPU ms per request (from /proc).
 *
 *   bun run bench:catalog-search [products=10000] [seconds=10] [connections=32]
 * Uses DATABASE_URL (default: local), a schema of its own, and drops it afterwards.
 */
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import { freePort, testLog, testSchema } from '@shop/shared/testing'
import { migrateCatalog } from '../src/bootstrap.ts'

const [count = 10_000, seconds = 10, connections = 32] = process.argv.slice(2).map(Number)
const ADJECTIVES = ['Compact', 'Classic', 'Premium', 'Rugged', 'Wireless', 'Organic', 'Vintage', 'Smart', 'Portable', 'Deluxe', 'Eco', 'Ultra']
const MATERIALS = ['Bamboo', 'Steel', 'Leather', 'Cotton', 'Ceramic', 'Glass', 'Carbon', 'Wool', 'Oak', 'Copper']
const NOUNS = ['Lamp', 'Backpack', 'Kettle', 'Speaker', 'Notebook', 'Jacket', 'Mug', 'Chair', 'Headphones', 'Bottle', 'Tent', 'Watch', 'Skillet', 'Blanket', 'Camera']
const CATEGORIES = ['Electronics', 'Home & Kitchen', 'Outdoors', 'Books', 'Toys', 'Coffee', 'Fashion', 'Garden', 'Sports', 'Office', 'Beauty', 'Music']
const FILLER = ['durable', 'lightweight', 'handmade', 'waterproof', 'sustainable', 'award', 'winning', 'design', 'everyday', 'travel', 'gift', 'quality']
const QUERIES = ['lamp', 'steel', 'wireless headphones', 'bamboo mug', 'camp', 'premium leather jacket', 'copper kettle', 'waterproof', 'oak chair', 'eco bottle', 'smart watch', 'vintage camera', 'gift', 'tent', 'ultra']
const pick = <T>(xs: T[], i: number) => xs[i % xs.length]!

const db = testSchema('search')
let server: ReturnType<typeof Bun.spawn> | undefined
try {
  await migrateCatalog(db.sql, db.schema, testLog)
  for (let start = 0; start < count; start += 1000) {
    const rows = Array.from({ length: Math.min(1000, count - start) }, (_, j) => {
      const i = start + j
      const r = (i * 2654435761) >>> 0
      return {
        id: Bun.randomUUIDv7(),
        name: `${pick(ADJECTIVES, r)} ${pick(MATERIALS, r >>> 4)} ${pick(NOUNS, r >>> 8)} ${i}`,
        description: Array.from({ length: 12 }, (_, k) => pick(FILLER, (r >>> k) + k)).join(' '),
        category: pick(CATEGORIES, r >>> 12),
        price: 500 + (r % 50_000),
        currency: 'EUR',
        stock: r % 200,
      }
    })
    await db.sql`insert into products ${db.sql(rows, 'id', 'name', 'description', 'category', 'price', 'currency', 'stock')}`
  }
  await db.sql`analyze products`
  const port = freePort()
  server = Bun.spawn(['bun', join(import.meta.dir, 'bench-server.ts')], {
    env: { ...process.env, BENCH_SCHEMA: db.schema, BENCH_PORT: String(port) },
    stdout: 'pipe',
    stderr: 'inherit',
  })
  const reader = (server.stdout as ReadableStream<Uint8Array>).getReader()
  await reader.read()
  const base = `http://127.0.0.1:${port}/api/products`
  for (const q of QUERIES) await fetch(`${base}?q=${encodeURIComponent(q)}`) // warm up
  console.log(`${count} products; ${connections} connections for ${seconds} s over ${QUERIES.length} queries`)

  const cpuOf = (pid: number) => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100 // utime + stime, in ms (USER_HZ 100)
  }
  const cpuBefore = cpuOf(server.pid)
  const latencies: number[] = []
  let errors = 0
  let sample = 0
  const deadline = performance.now() + seconds * 1000
  const started = performance.now()
  const progress = setInterval(() => console.log(`  ${latencies.length} requests, ${Math.round(latencies.length / ((performance.now() - started) / 1000))}/s`), 2000)
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      let i = c
      while (performance.now() < deadline) {
        const q = QUERIES[i++ % QUERIES.length]!
        const t0 = performance.now()
        const res = await fetch(`${base}?q=${encodeURIComponent(q)}`)
        const body = (await res.json()) as { items?: unknown[] }
        latencies.push(performance.now() - t0)
        if (!res.ok || !Array.isArray(body.items)) errors++
        else if (sample++ < QUERIES.length && body.items.length === 0 && q !== 'camp') errors++
      }
    }),
  )
  clearInterval(progress)
  const elapsed = (performance.now() - started) / 1000
  const cpuMs = cpuOf(server.pid) - cpuBefore
  latencies.sort((a, b) => a - b)
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(1)
  console.log(
    `search_requests_per_s=${Math.round(latencies.length / elapsed)} p50_ms=${pct(50)} p99_ms=${pct(99)} ` +
      `server_cpu_ms_per_request=${(cpuMs / latencies.length).toFixed(2)} requests=${latencies.length} errors=${errors}`,
  )
} finally {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM')
    await server.exited
  }
  await db.drop()
}
