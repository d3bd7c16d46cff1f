/**
 * Benchmark (not a test) of the public reads of a product with 10,000 reviews: `GET /api/reviews`
 * (newest, highest and lowest, first pages and pages deep in the list, by cursor) and
 * `GET /api/reviews/summary`. The reviews app runs in a child process (as in production); this
 * process is the load generator: C concurrent connections for D seconds per phase. Prints, per
 * phase, requests/s, latency p50/p99 and the CPU ms per request of the server and of Postgres
 * (from /proc).
 *
 *   bun run bench:reviews [reviews=10000] [seconds=10] [connections=32]
 * Uses DATABASE_URL (default: local), a schema of its own, and drops it afterwards.
 */
import { join } from 'node:path'
import { readFileSync, readdirSync } from 'node:fs'
import { migrate } from '@shop/shared/data/migrate'
import { freePort, testSchema } from '@shop/shared/testing'
import { MIGRATIONS } from '../src/bootstrap.ts'

const [count = 10_000, seconds = 10, connections = 32] = process.argv.slice(2).map(Number)
const WORDS = ['sturdy', 'comfortable', 'arrived', 'quickly', 'colour', 'exactly', 'pictured', 'would', 'buy', 'again', 'smaller', 'than', 'expected', 'great', 'value']

const db = testSchema('reviewsbench')
let server: ReturnType<typeof Bun.spawn> | undefined
try {
  await migrate(db.sql, db.schema, MIGRATIONS)
  const productId = Bun.randomUUIDv7()
  const stars = [0, 0, 0, 0, 0]
  for (let start = 0; start < count; start += 1000) {
    const purchases = []
    const reviews = []
    for (let i = start; i < Math.min(count, start + 1000); i++) {
      const r = (i * 2654435761) >>> 0
      const userId = crypto.randomUUID()
      const rating = 1 + (r % 5)
      const hidden = r % 50 === 0
      if (!hidden) stars[rating - 1]!++
      // One purchase in 20 returned: the review stands, not verified.
      purchases.push({ order_id: crypto.randomUUID(), product_id: productId, user_id: userId, delivered_at: new Date(), returned_at: r % 20 === 0 ? new Date() : null })
      reviews.push({
        id: Bun.randomUUIDv7(),
        product_id: productId,
        user_id: userId,
        rating,
        title: r % 3 === 0 ? null : `Review ${i}`,
        body: Array.from({ length: 20 + (r % 60) }, (_, k) => WORDS[(r >>> k % 16) % WORDS.length]).join(' '),
        author_name: `Customer ${i}`,
        hidden, // one in 50, moderated away

      })
    }
    await db.sql`insert into purchases ${db.sql(purchases)}`
    await db.sql`insert into reviews ${db.sql(reviews)}`
  }
  await db.sql`
    insert into product_ratings (product_id, stars_1, stars_2, stars_3, stars_4, stars_5, version)
    values (${productId}, ${stars[0]!}, ${stars[1]!}, ${stars[2]!}, ${stars[3]!}, ${stars[4]!}, ${count})`
  await db.sql`analyze`

  const port = freePort()
  server = Bun.spawn(['bun', join(import.meta.dir, 'bench-server.ts')], {
    env: { ...process.env, BENCH_SCHEMA: db.schema, BENCH_PORT: String(port) },
    stdout: 'pipe',
    stderr: 'inherit',
  })
  await (server.stdout as ReadableStream<Uint8Array>).getReader().read()
  const base = `http://127.0.0.1:${port}/api/reviews`

  // The list requests: each sort's first page, and a page 50 pages in (its cursor found by walking).
  const listUrls: string[] = []
  for (const sort of ['newest', 'highest', 'lowest']) {
    listUrls.push(`${base}?productId=${productId}&sort=${sort}`)
    let cursor: string | null = null
    for (let page = 0; page < 50; page++) {
      const res: { nextCursor: string | null } = await (await fetch(`${base}?productId=${productId}&sort=${sort}${cursor ? `&cursor=${cursor}` : ''}`)).json()
      cursor = res.nextCursor
    }
    listUrls.push(`${base}?productId=${productId}&sort=${sort}&cursor=${cursor}`)
  }
  const summaryUrls = [`${base}/summary?productId=${productId}`]

  const cpuOf = (pid: number) => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100 // utime + stime, in ms (USER_HZ 100)
  }

  /** CPU ms of every local Postgres process (the pool's backends among them), when visible. */
  const postgresCpu = () => {
    let total = 0
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      try {
        if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') total += cpuOf(Number(entry))
      } catch {}
    }
    return total
  }

  async function phase(name: string, urls: string[], isRight: (body: any) => boolean) {
    for (let i = 0; i < 3; i++) await Promise.all(urls.map((url) => fetch(url))) // warm up: the pool's connections open
    const cpuBefore = cpuOf(server!.pid)
    const postgresBefore = postgresCpu()
    const latencies: number[] = []
    let errors = 0
    const started = performance.now()
    const deadline = started + seconds * 1000
    await Promise.all(
      Array.from({ length: connections }, async (_, c) => {
        let i = c
        while (performance.now() < deadline) {
          const t0 = performance.now()
          const res = await fetch(urls[i++ % urls.length]!)
          const body = await res.json()
          latencies.push(performance.now() - t0)
          if (!res.ok || !isRight(body)) errors++
        }
      }),
    )
    const elapsed = (performance.now() - started) / 1000
    const cpuMs = cpuOf(server!.pid) - cpuBefore
    const postgresMs = postgresCpu() - postgresBefore
    latencies.sort((a, b) => a - b)
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(1)
    console.log(
      `${name}_requests_per_s=${Math.round(latencies.length / elapsed)} p50_ms=${pct(50)} p99_ms=${pct(99)} ` +
        `server_cpu_ms_per_request=${(cpuMs / latencies.length).toFixed(3)} postgres_cpu_ms_per_request=${(postgresMs / latencies.length).toFixed(3)} ` +
        `requests=${latencies.length} errors=${errors}`,
    )
  }

  console.log(`${count} reviews of one product; ${connections} connections for ${seconds} s per phase`)
  await phase('list', listUrls, (body) => Array.isArray(body.items) && body.items.length === 20)
  const visible = stars.reduce((a, b) => a + b, 0)
  await phase('summary', summaryUrls, (body) => body.count === visible)
} finally {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM')
    await server.exited
  }
  await db.drop()
}
