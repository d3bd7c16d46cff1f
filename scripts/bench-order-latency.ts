/**
 * Order → PAID latency (not a test). Starts the whole system with `bun run start` on a fresh
 * database of its own (free ports, own queue prefix), signs up customers with funded wallets,
 * opens each customer's SSE stream, then places orders open-loop at a fixed rate and measures,
 * per order, POST latency and the time from sending the POST to receiving `PAID` on the stream.
 * Stops the system and drops the database afterwards.
 *
 *   bun run bench:order-latency [orders=1000] [rate=100] [customers=20] [products=50]
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import postgres from 'postgres'
import { TEST_DATABASE_URL, deleteRedisPrefix, freePort, uniqueName } from '@shop/shared/testing'
import { openSse, type SseConnection } from '../tests/sse.ts'

const [orders = 1000, rate = 100, customerCount = 20, productCount = 50] = process.argv.slice(2).map(Number)
const ROOT = join(import.meta.dir, '..')
const dbName = uniqueName('latency')
const prefix = uniqueName('lat')
const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} })
const url = new URL(TEST_DATABASE_URL)
url.pathname = `/${dbName}`
const ports = { users: freePort(), orders: freePort(), payments: freePort(), catalog: freePort() }
const base = (name: keyof typeof ports) => `http://127.0.0.1:${ports[name]}`
const ADMIN = { email: 'bench-admin@shop.local', password: 'bench admin password' }

async function json(method: string, target: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(target, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined }
}

/** CPU ms (user + system) a process has used, from /proc; 0 once it is gone. */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
  } catch {
    return 0
  }
}

/** Pids of the local Postgres and Redis servers (their CPU counts too), when visible. */
function storePids(): Record<string, number[]> {
  const found: Record<string, number[]> = { postgres: [], redis: [] }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim()
      if (comm === 'postgres') found.postgres!.push(Number(entry))
      else if (comm === 'redis-server') found.redis!.push(Number(entry))
    } catch {}
  }
  return found
}

const pct = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}

await admin.unsafe(`create database ${dbName}`)
const system = Bun.spawn(['bun', 'scripts/start.ts'], {
  cwd: ROOT,
  env: {
    ...process.env,
    DATABASE_URL: url.toString(),
    QUEUE_PREFIX: prefix,
    USERS_PORT: String(ports.users),
    ORDERS_PORT: String(ports.orders),
    PAYMENTS_PORT: String(ports.payments),
    CATALOG_PORT: String(ports.catalog),
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    DEMO_DATA: '0',
    LOG_LEVEL: 'warn',
    LOGIN_LIMIT_PER_IP: '100000',
    NO_COLOR: '1',
  },
  stdout: 'pipe',
  stderr: 'inherit',
})
const streams: SseConnection[] = []
try {
  const reader = (system.stdout as ReadableStream<Uint8Array>).getReader()
  let log = ''
  while (!log.includes('the shop is up')) {
    const { done, value } = await reader.read()
    if (done) throw new Error(`the system did not start:\n${log}`)
    log += new TextDecoder().decode(value)
  }
  const children = [...log.matchAll(/([\w-]+) started, pid (\d+)/g)].map((m) => ({ name: m[1]!, pid: Number(m[2]) }))
  void (async () => {
    for (;;) if ((await reader.read()).done) break
  })()
  console.log('system up; preparing customers and a product')

  const adminToken = (await json('POST', `${base('users')}/api/auth/login`, ADMIN)).body.accessToken
  const products = await Promise.all(
    Array.from({ length: productCount }, async (_, i) =>
      (
        await json('POST', `${base('catalog')}/api/products`, { name: `Bench Widget ${i}`, category: 'Bench', price: 100, currency: 'EUR', stock: 1_000_000 }, {
          authorization: `Bearer ${adminToken}`,
        })
      ).body as { id: string },
    ),
  )
  const customers = await Promise.all(
    Array.from({ length: customerCount }, async (_, i) => {
      const email = `bench${i}@shop.local`
      const password = 'bench password 123'
      await json('POST', `${base('users')}/api/auth/register`, { email, password, name: `Bench ${i}` })
      const token = (await json('POST', `${base('users')}/api/auth/login`, { email, password })).body.accessToken as string
      const auth = { authorization: `Bearer ${token}` }
      await json('POST', `${base('payments')}/api/wallet`, { currency: 'EUR' }, auth)
      await json('POST', `${base('payments')}/api/wallet/deposits`, { amount: 1_000_000 }, { ...auth, 'idempotency-key': `seed-${i}` })
      return { token, auth }
    }),
  )

  const sentAt = new Map<string, number>()
  const paidAt = new Map<string, number>()
  const cancelled = new Set<string>()
  for (const customer of customers) {
    const stream = await openSse(`${base('orders')}/api/orders/events`, customer.auth)
    streams.push(stream)
    void (async () => {
      for (;;) {
        let event
        try {
          event = await stream.next(600_000)
        } catch {
          return
        }
        const data = JSON.parse(event.data) as { orderId: string; status: string; event: string }
        if (data.event === 'paid') paidAt.set(data.orderId, performance.now())
        if (data.event === 'cancelled') cancelled.add(data.orderId)
      }
    })()
  }

  console.log(`placing ${orders} orders at ${rate}/s (open loop) for ${customerCount} customers over ${productCount} products`)
  const postLatency: number[] = []
  const failures: string[] = []
  const stores = storePids()
  const measured = [
    ...children,
    { name: 'bench (load generator)', pid: process.pid },
    ...Object.entries(stores).flatMap(([name, pids]) => pids.map((pid) => ({ name, pid }))),
  ]
  const cpuBefore = measured.map((p) => cpuMs(p.pid))
  const started = performance.now()
  const inflight: Promise<void>[] = []
  for (let i = 0; i < orders; i++) {
    const due = started + (i * 1000) / rate
    const wait = due - performance.now()
    if (wait > 0) await Bun.sleep(wait)
    const customer = customers[i % customers.length]!
    const product = products[i % products.length]!
    inflight.push(
      (async () => {
        const t0 = performance.now()
        const res = await json('POST', `${base('orders')}/api/orders`, { items: [{ productId: product.id, quantity: 1 }] }, {
          ...customer.auth,
          'idempotency-key': `bench-${i}`,
        })
        postLatency.push(performance.now() - t0)
        if (res.status !== 202) failures.push(`${res.status} ${res.body?.code}`)
        else sentAt.set(res.body.id, t0)
      })(),
    )
    if (i > 0 && i % rate === 0) console.log(`  ${i} sent, ${paidAt.size} paid`)
  }
  await Promise.all(inflight)
  const deadline = performance.now() + 60_000
  while (paidAt.size + cancelled.size < sentAt.size && performance.now() < deadline) await Bun.sleep(50)
  const elapsed = (performance.now() - started) / 1000
  const cpuBy = new Map<string, number>()
  measured.forEach((p, i) => cpuBy.set(p.name, (cpuBy.get(p.name) ?? 0) + cpuMs(p.pid) - cpuBefore[i]!))
  const paidCount = Math.max(1, paidAt.size)
  console.log('CPU ms per paid order, by process:')
  let systemTotal = 0
  for (const [name, ms] of cpuBy) {
    console.log(`  ${name.padEnd(24)} ${(ms / paidCount).toFixed(2)}`)
    if (!name.startsWith('bench')) systemTotal += ms
  }
  console.log(`  ${'total (without bench)'.padEnd(24)} ${(systemTotal / paidCount).toFixed(2)}`)

  const toPaid = [...sentAt].filter(([id]) => paidAt.has(id)).map(([id, t0]) => paidAt.get(id)! - t0)
  const fmt = (n: number) => n.toFixed(1)
  console.log(
    `orders=${orders} rate=${rate}/s accepted=${sentAt.size} paid=${toPaid.length} cancelled=${cancelled.size} failed=${failures.length} ` +
      `post_p50_ms=${fmt(pct(postLatency, 50))} post_p99_ms=${fmt(pct(postLatency, 99))} ` +
      `order_to_paid_p50_ms=${fmt(pct(toPaid, 50))} order_to_paid_p99_ms=${fmt(pct(toPaid, 99))} seconds=${elapsed.toFixed(1)}`,
  )
  if (failures.length) console.log(`failures: ${[...new Set(failures)].join(', ')}`)
} finally {
  for (const stream of streams) stream.close()
  system.kill('SIGTERM')
  await system.exited
  await deleteRedisPrefix(prefix)
  await admin.unsafe(`drop database if exists ${dbName} with (force)`)
  await admin.end()
}
