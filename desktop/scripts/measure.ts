/**
 * Renderer figures (not a test): gzip size of the web build (what every visitor loads, and apart
 * from it the chunks loaded on demand: the owner's console), and time to interactive in Debian's
 * Chromium (navigation start → the first screen can be used: the catalog's search box, which every
 * visitor sees), median of 5 cold loads from a local static server answering the API with an
 * empty catalog and no session. `bun run desktop:measure` (builds the web UI first).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { chromium } from 'playwright-core'

const WEB = join(import.meta.dir, '..', 'dist-web')
const html = readFileSync(join(WEB, 'index.html'), 'utf8')
const files = readdirSync(join(WEB, 'assets')).map((f) => join(WEB, 'assets', f))
// What every visitor loads (index.html and what it names), and the chunks loaded later (the
// owner's console, which only an admin's browser asks for).
let raw = 0
let gzip = 0
let lazyRaw = 0
let lazyGzip = 0
for (const file of [join(WEB, 'index.html'), ...files]) {
  const data = readFileSync(file)
  const zipped = gzipSync(data, { level: 9 }).length
  const entry = file.endsWith('index.html') || html.includes(file.replace(WEB, ''))
  if (entry) (raw += statSync(file).size), (gzip += zipped)
  else (lazyRaw += data.length), (lazyGzip += zipped)
  console.log(`  ${file.replace(WEB, 'dist-web')}: ${data.length} B, ${zipped} B gzip${entry ? '' : ' (loaded on demand)'}`)
}

const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  async fetch(request) {
    const path = new URL(request.url).pathname
    const file = Bun.file(join(WEB, path === '/' ? 'index.html' : path))
    // No backend: no session (401), an empty catalog.
    if (path === '/api/products' || path === '/api/categories') return Response.json({ items: [], nextCursor: null })
    if (path.startsWith('/api/')) return new Response('{"status":401,"code":"unauthorized","detail":"no"}', { status: 401 })
    return (await file.exists()) ? new Response(file) : new Response('not found', { status: 404 })
  },
})
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
})
const times: number[] = []
for (let i = 0; i < 5; i++) {
  const context = await browser.newContext()
  const page = await context.newPage()
  await page.goto(`http://127.0.0.1:${server.port}/`)
  await page.getByLabel('Search').waitFor()
  times.push(await page.evaluate(() => performance.now()))
  await context.close()
}
await browser.close()
server.stop(true)
times.sort((a, b) => a - b)
console.log(`renderer_total_bytes=${raw} renderer_gzip_bytes=${gzip} on_demand_bytes=${lazyRaw} on_demand_gzip_bytes=${lazyGzip} time_to_interactive_ms_median=${times[2]!.toFixed(0)} (runs: ${times.map((t) => t.toFixed(0)).join(', ')})`)
