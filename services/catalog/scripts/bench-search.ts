/**
 * Benchmark (not a test) of the product list: `GET /api/products?q=...` (search) and the list
 * without a query (sorts, a category, a second page), on N generated products. Words are drawn
 * with realistic frequencies (Zipf's law: the k-th most common word k times rarer than the first),
 * so a search for a common word matches a large share of the catalog, as in a real shop, and the
 * queries people type are mostly common words. The catalog app runs in a child process (as in
 * production); this process is the load generator: C connections for D seconds per phase.
 * Prints, per phase, requests/s, latency p50/p99 and the server's CPU ms per request (from /proc).
 *
 *   bun run bench:catalog-search [products=100000] [seconds=10] [connections=32]
 * Uses DATABASE_URL (default: local), a schema of its own, and drops it afterwards (unless
 * BENCH_KEEP=1: then it prints the schema's name, to EXPLAIN the queries on the same data).
 */
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import { freePort, testLog, testSchema } from '@shop/shared/testing'
import { migrateCatalog } from '../src/bootstrap.ts'

const [count = 100_000, seconds = 10, connections = 32] = process.argv.slice(2).map(Number)

const ADJECTIVES = 'classic premium compact wireless organic vintage smart portable deluxe rugged ultra slim modern rustic heavy soft bright quiet foldable ergonomic'.split(' ')
const MATERIALS = 'steel cotton leather bamboo glass ceramic oak wool copper carbon linen walnut aluminium silicone marble canvas brass titanium cork hemp'.split(' ')
const NOUNS = ('lamp mug bottle backpack jacket chair kettle speaker notebook headphones tent watch skillet blanket camera ' +
  'shirt table pillow knife bowl plate towel boots scarf hat socks desk shelf rug vase clock charger cable keyboard mouse ' +
  'monitor tripod lens drone helmet glove bag wallet belt sandals candle frame mirror basket planter hose rake shovel ' +
  'ball racket bike pump mat weights rope puzzle game doll robot kite brush comb soap cream oil tea coffee grinder ' +
  'press teapot spoon fork pan pot wok tray jar box crate stool bench sofa bed lantern compass stove cooler hammock').split(' ')
const CATEGORIES = ['Home & Kitchen', 'Electronics', 'Outdoors', 'Fashion', 'Sports', 'Office', 'Garden', 'Toys', 'Beauty', 'Coffee', 'Books', 'Music']
const COMMON = ('durable lightweight handmade waterproof everyday travel gift quality design comfortable easy clean use ' +
  'perfect home office outdoor sturdy stylish natural eco friendly long lasting warm cool fresh classic colour size fit ' +
  'family kids adults safe strong simple elegant compact storage set pack includes made finish care wash dishwasher ' +
  'battery charge hours sound light power grip handle lid seal leak proof insulated cold hot').split(' ')
/** Rare words: model names and makers, each in a few products (the long tail of a real catalogue). */
const RARE = Array.from({ length: 3000 }, (_, i) => `${['zor', 'kel', 'vix', 'dra', 'mon', 'tal', 'quen', 'bri'][i % 8]}${['ax', 'on', 'ix', 'ara', 'um', 'eth'][(i >> 3) % 6]}${i >> 6}`)
const VOCABULARY = [...COMMON, ...ADJECTIVES, ...MATERIALS, ...NOUNS, ...RARE]

/** A deterministic generator (mulberry32: the same catalogue every run). */
let seed = 42
function random() {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
}
/**
 * A Zipf-Mandelbrot draw over `list`: index k with weight 1/(k+1+shift). With a shift the most
 * common words are not in every text (the top description word lands in about one product in five).
 */
function zipf<T>(list: T[], shift = 0): () => T {
  const cumulative: number[] = []
  let total = 0
  for (let k = 0; k < list.length; k++) cumulative.push((total += 1 / (k + 1 + shift)))
  return () => {
    const x = random() * total
    let lo = 0
    let hi = cumulative.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (cumulative[mid]! < x) lo = mid + 1
      else hi = mid
    }
    return list[lo]!
  }
}
const word = zipf(VOCABULARY, 20)
const adjective = zipf(ADJECTIVES)
const material = zipf(MATERIALS)
const noun = zipf(NOUNS)
const category = zipf(CATEGORIES)

/** What shoppers type: mostly common words, some two-word searches, prefixes still being typed, a miss. */
const SEARCHES = [
  ...Array.from({ length: 30 }, () => noun()),
  ...Array.from({ length: 10 }, () => `${adjective()} ${noun()}`),
  ...Array.from({ length: 10 }, () => `${material()} ${noun()}`),
  ...Array.from({ length: 10 }, () => word()),
  ...Array.from({ length: 5 }, () => RARE[Math.floor(random() * RARE.length)]!),
  'lam', 'head', 'wat', 'waterpr', 'gift', 'lamp', 'steel', 'nothingmatchesthis',
]
const LISTS = [
  '',
  '',
  '?sort=price',
  '?sort=-price',
  '?sort=rating',
  '?sort=name',
  ...CATEGORIES.map((c) => `?category=${encodeURIComponent(c)}`),
  '?minPrice=1000&maxPrice=5000',
  '?sort=price&category=Outdoors',
]

const db = testSchema('search')
let server: ReturnType<typeof Bun.spawn> | undefined
try {
  await migrateCatalog(db.sql, db.schema, testLog)
  const loadStarted = performance.now()
  for (let start = 0; start < count; start += 2000) {
    const rows = Array.from({ length: Math.min(2000, count - start) }, (_, j) => {
      const i = start + j
      const ratingCount = random() < 0.4 ? 1 + Math.floor(random() * 50) : 0
      return {
        id: Bun.randomUUIDv7(),
        name: `${adjective()} ${material()} ${noun()} ${i}`,
        description: Array.from({ length: 12 + Math.floor(random() * 30) }, word).join(' '),
        category: category(),
        price: 300 + Math.floor(random() * random() * 50_000),
        currency: 'EUR',
        stock: Math.floor(random() * 200),
        rating_count: ratingCount,
        rating_sum: ratingCount * (1 + Math.floor(random() * 5)),
      }
    })
    await db.sql`insert into products ${db.sql(rows, 'id', 'name', 'description', 'category', 'price', 'currency', 'stock', 'rating_count', 'rating_sum')}`
  }
  await db.sql`update products set rating_score = coalesce(round(rating_sum::numeric / nullif(rating_count, 0), 1), 0)`
  await db.sql`vacuum analyze products`
  const share = async (q: string) =>
    (await db.sql<{ n: number }[]>`select count(*)::int as n from products where search @@ to_tsquery('english', ${q})`)[0]!.n
  console.log(
    `${count} products in ${((performance.now() - loadStarted) / 1000).toFixed(0)} s; ` +
      `"${NOUNS[0]}" in ${await share(NOUNS[0]!)}, "${COMMON[0]}" in ${await share(COMMON[0]!)}, "${RARE[0]}" in ${await share(RARE[0]!)}`,
  )

  const port = freePort()
  // CPU_PROFILE_DIR=dir: the catalog writes a CPU profile there when it stops (bun run profile:summary dir).
  const profile = process.env.CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.CPU_PROFILE_DIR}`, '--cpu-prof-name=catalog.cpuprofile'] : []
  server = Bun.spawn(['bun', ...profile, join(import.meta.dir, 'bench-server.ts')], {
    env: { ...process.env, BENCH_SCHEMA: db.schema, BENCH_PORT: String(port) },
    stdout: 'pipe',
    stderr: 'inherit',
  })
  const reader = (server.stdout as ReadableStream<Uint8Array>).getReader()
  await reader.read()
  const base = `http://127.0.0.1:${port}/api/products`
  const pid = server.pid

  const cpuOf = () => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100 // utime + stime, in ms (USER_HZ 100)
  }
  /** C connections for D seconds over `urls`; every answer must be a page (and a search for a common word non-empty). */
  async function phase(name: string, urls: string[]) {
    for (const url of urls) await fetch(url) // warm up
    const cpuBefore = cpuOf()
    const latencies: number[] = []
    let errors = 0
    const deadline = performance.now() + seconds * 1000
    const started = performance.now()
    await Promise.all(
      Array.from({ length: connections }, async (_, c) => {
        let i = c * 7
        while (performance.now() < deadline) {
          const url = urls[i++ % urls.length]!
          const t0 = performance.now()
          const res = await fetch(url)
          const body = (await res.json()) as { items?: unknown[] }
          latencies.push(performance.now() - t0)
          if (!res.ok || !Array.isArray(body.items)) errors++
        }
      }),
    )
    const elapsed = (performance.now() - started) / 1000
    const cpuMs = cpuOf() - cpuBefore
    latencies.sort((a, b) => a - b)
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(1)
    console.log(
      `${name}_requests_per_s=${Math.round(latencies.length / elapsed)} p50_ms=${pct(50)} p99_ms=${pct(99)} ` +
        `server_cpu_ms_per_request=${(cpuMs / latencies.length).toFixed(2)} requests=${latencies.length} errors=${errors}`,
    )
  }

  // Second pages come from the first ones' cursors, as a shopper scrolling would ask.
  const listUrls = LISTS.map((l) => base + l)
  for (const l of LISTS.slice(0, 6)) {
    const page = (await (await fetch(base + l)).json()) as { nextCursor?: string | null }
    if (page.nextCursor) listUrls.push(`${base}${l ? `${l}&` : '?'}cursor=${encodeURIComponent(page.nextCursor)}`)
  }
  console.log(`${connections} connections, ${seconds} s per phase; ${SEARCHES.length} searches, ${listUrls.length} lists`)
  await phase('search', SEARCHES.map((q) => `${base}?q=${encodeURIComponent(q)}`))
  await phase('list', listUrls)
} finally {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM')
    await server.exited
  }
  if (process.env.BENCH_KEEP === '1') {
    console.log(`kept schema ${db.schema}`)
    await db.sql.end({ timeout: 5 })
  } else await db.drop()
}
