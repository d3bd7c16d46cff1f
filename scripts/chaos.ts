/**
 * `bun run chaos`: a fault-injection run in the spirit of Jepsen's bank test. The whole system
 * runs on a database and a Redis of its own (Redis with ordinary persistence: an AOF fsync'd
 * every second), with two instances of every API service behind the gateway and of every worker. Concurrent clients place orders, top up and
 * cancel, return and review through the gateway while a controller SIGKILLs and restarts workers and services, kills
 * Redis and starts it again (with its data, or empty), deletes every key of the system's prefix
 * (the queues forget everything), and cuts every Postgres connection; an admin books supplies and
 * stock adjustments, ships, delivers, receives returns and hides or unhides reviews meanwhile. Then the system is left to recover and the invariants are checked:
 * no accepted order lost or stuck, no wallet debited twice for an order, no refund twice, no
 * cancelled order charged without its refund, no negative balance, every ledger summing to its
 * balance, every accepted deposit, supply and adjustment booked once, stock on hand plus committed
 * equal to the initial stock plus supplies and adjustments, every product's stock the sum of its
 * stock movements, no cancelled order's goods left out of stock, every delivery a purchase at
 * reviews (a return returned), and every product's rating the same in its visible reviews,
 * reviews' running totals and the catalog. Every 5xx a client saw is counted: a request the
 * gateway may send to another instance (a read, or a write with an Idempotency-Key) should never
 * see one when an API instance is killed.
 *
 *   bun run chaos [seconds-of-load=120] [clients=24]
 * Loopback only, bounded in time, and it stops every process it started, by PID.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { Redis } from 'ioredis'
import { createSql, type Sql } from '@shop/shared/data/db'
import { TEST_DATABASE_URL, freePort, uniqueName } from '@shop/shared/testing'
import { stockLedgerMismatches } from '../services/catalog/src/modules/inventory/repository.ts'
import { PROCESSES, localServiceEnv, poolPerInstance } from './processes.ts'

const [loadSeconds = 120, clientCount = 24] = process.argv.slice(2).map(Number)
const ROOT = join(import.meta.dir, '..')
const dbName = uniqueName('chaos')
const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} })
const dbUrl = new URL(TEST_DATABASE_URL)
dbUrl.pathname = `/${dbName}`
const redisPort = freePort()
const redisDir = mkdtempSync(join(tmpdir(), 'shop-chaos-redis-'))
// Two instances of every service's API on free ports (the gateway once), and two of each worker
// (their operations ports taken by the system: 0): derived from the services' manifests.
const API_INSTANCES = 2
const apiPorts = Object.fromEntries(
  PROCESSES.filter((p) => p.kind === 'api').map((p) => [p.service, Array.from({ length: p.service === 'gateway' ? 1 : API_INSTANCES }, () => freePort())]),
) as Record<string, number[]>
const ports = Object.fromEntries(Object.entries(apiPorts).map(([service, list]) => [service, list[0]!])) as Record<string, number>
const ADMIN = { email: 'chaos-admin@shop.local', password: 'chaos admin password' }
const started = Date.now()
const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`)

const env: Record<string, string> = {
  ...(process.env as Record<string, string>),
  DATABASE_URL: dbUrl.toString(),
  REDIS_URL: `redis://127.0.0.1:${redisPort}`,
  QUEUE_PREFIX: 'chaos',
  ...Object.fromEntries(PROCESSES.map((p) => [p.portEnv, p.kind === 'api' ? String(ports[p.service]) : '0'])),
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
  ORDER_TIMEOUT_SECONDS: '20',
  RECONCILE_INTERVAL_SECONDS: '2',
  LOGIN_LIMIT_PER_IP: '100000',
  LOGIN_LIMIT_PER_EMAIL: '100000',
  WRITE_LIMIT_PER_MINUTE: '1000000',
  ANONYMOUS_WRITE_LIMIT_PER_MINUTE: '1000000',
  MAX_DEPOSIT: '100000000',
  TRUSTED_PROXIES: '127.0.0.1,::1',
  DEMO_DATA: '0',
  LOG_LEVEL: 'error',
  // Two of every process: half a pool each keeps the shop under Postgres's max_connections.
  DATABASE_POOL_MAX: String(poolPerInstance(API_INSTANCES)),
}
Object.assign(env, localServiceEnv(env)) // a fresh INTERNAL_TOKEN (and GATEWAY_URL)
// Each URL variable lists both instances: the gateway spreads requests over them, and services'
// own calls (orders and reviews to the catalog, everyone to users' keys) move on from a dead one.
for (const p of PROCESSES.filter((p) => p.kind === 'api' && p.service !== 'gateway'))
  env[`${p.service.toUpperCase()}_URL`] = apiPorts[p.service]!.map((port) => `http://127.0.0.1:${port}`).join(',')

// --- processes -------------------------------------------------------------------------------

interface Managed {
  name: string
  entry: string
  port?: number
  /** The variable that gives an API instance its port. */
  portEnv?: string
  child?: ReturnType<typeof Bun.spawn>
}

const processes: Managed[] = [
  ...PROCESSES.filter((p) => p.kind === 'api').flatMap((p) =>
    apiPorts[p.service]!.map((port, i) => ({ name: i === 0 ? p.name : `${p.name}-${i + 1}`, entry: p.entry, port, portEnv: p.portEnv })),
  ),
  ...PROCESSES.filter((p) => p.kind === 'worker').flatMap((p) => [1, 2].map((n) => ({ name: `${p.name}-${n}`, entry: p.entry }))),
]
let redisProcess: ReturnType<typeof Bun.spawn> | undefined

function startRedis() {
  redisProcess = Bun.spawn(
    ['redis-server', '--port', String(redisPort), '--bind', '127.0.0.1', '--dir', redisDir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--maxmemory-policy', 'noeviction'],
    { stdout: 'ignore', stderr: 'ignore' },
  )
}

/** Deletes every key of the system's prefix: the queues forget every job, waiting or done. */
async function forgetQueues(): Promise<number> {
  const redis = new Redis(`redis://127.0.0.1:${redisPort}`, { maxRetriesPerRequest: 1, lazyConnect: true })
  redis.on('error', () => {})
  let deleted = 0
  try {
    await redis.connect()
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${env.QUEUE_PREFIX}:*`, 'COUNT', 1000)
      cursor = next
      if (keys.length) deleted += await redis.del(...keys)
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
  return deleted
}

// CHAOS_LOGS=dir keeps every process's error log there (one file per start: catalog.3.log);
// otherwise the logs are dropped (a pipe nobody reads would only fill memory).
const logDir = process.env.CHAOS_LOGS
const starts = new Map<string, number>()
function start(p: Managed) {
  const n = (starts.get(p.name) ?? 0) + 1
  starts.set(p.name, n)
  const stderr = logDir ? Bun.file(join(logDir, `${p.name}.${n}.log`)) : 'ignore'
  p.child = Bun.spawn(['bun', join(ROOT, p.entry)], { cwd: ROOT, env: p.portEnv ? { ...env, [p.portEnv]: String(p.port) } : env, stdout: 'ignore', stderr })
}

async function waitHttp(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1000) })).ok) return
    } catch {}
    await Bun.sleep(200)
  }
  throw new Error(`${url} did not answer`)
}

/** Waits for a service's /ready, naming it (and how it ended, if it did) when it never answers. */
async function waitReady(p: Managed): Promise<void> {
  try {
    await waitHttp(`http://127.0.0.1:${p.port}/ready`)
  } catch {
    const ended = p.child?.exitCode === null ? 'still running' : `exited with code ${p.child?.exitCode}`
    throw new Error(`${p.name} on port ${p.port} did not become ready in 60 s (${ended}; CHAOS_LOGS=dir keeps its log)`)
  }
}

async function stopAll() {
  for (const p of processes) if (p.child && p.child.exitCode === null) p.child.kill('SIGKILL')
  await Promise.all(processes.map((p) => p.child?.exited))
  if (redisProcess && redisProcess.exitCode === null) redisProcess.kill('SIGKILL')
  await redisProcess?.exited
}

// --- the clients -----------------------------------------------------------------------------

const gateway = `http://127.0.0.1:${ports.gateway}`

/**
 * Every 5xx (or no answer) a client got, by whether the gateway may send the request to another
 * instance (a read, or a write with an Idempotency-Key: "retried") and by status, with the fault
 * injected last before it.
 */
const serverErrors: { retried: boolean; status: number; route: string; fault: string; sinceFaultMs: number }[] = []
let lastFault = { what: 'none', at: Date.now() }
const routeOf = (path: string) => path.split('?')[0]!.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, ':id')

async function call(method: string, path: string, options: { token?: string; body?: unknown; key?: string } = {}) {
  const result = await send(method, path, options)
  if (result.status >= 500 || result.status === 0)
    serverErrors.push({
      retried: method === 'GET' || method === 'HEAD' || !!options.key,
      status: result.status,
      route: `${method} ${routeOf(path)}`,
      fault: lastFault.what,
      sinceFaultMs: Date.now() - lastFault.at,
    })
  return result
}

async function send(method: string, path: string, options: { token?: string; body?: unknown; key?: string }) {
  try {
    const res = await fetch(`${gateway}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.key ? { 'idempotency-key': options.key } : {}),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(15_000),
    })
    const text = await res.text()
    let body: any
    try {
      body = text ? JSON.parse(text) : undefined
    } catch {}
    return { status: res.status, body }
  } catch {
    return { status: 0, body: undefined }
  }
}

/**
 * Order lines whose purchase the reviews service does not hold as it should: a delivered (or
 * return-requested) order's lines held, a returned order's returned, and no purchase of an order
 * that was never delivered.
 */
function purchaseMismatches(sql: Sql) {
  return sql`(
    (select count(*) from orders.order_items i join orders.orders o on o.id = i.order_id
     left join reviews.purchases p on p.order_id = i.order_id and p.product_id = i.product_id
     where o.status in ('DELIVERED', 'RETURN_REQUESTED', 'RETURNED')
       and (p.order_id is null or (o.status = 'RETURNED') <> (p.returned_at is not null)))
    + (select count(*) from reviews.purchases p left join orders.orders o on o.id = p.order_id
       where o.id is null or o.status not in ('DELIVERED', 'RETURN_REQUESTED', 'RETURNED')))::int`
}

/**
 * Products whose rating differs between the reviews (the visible ones), the reviews service's
 * running totals (product_ratings) and the catalog's copy (from review.changed events).
 */
function ratingMismatches(sql: Sql) {
  return sql`(
    select count(*) from catalog.products c
    left join (select product_id, count(*) as n, sum(rating) as total from reviews.reviews where not hidden group by 1) r on r.product_id = c.id
    left join reviews.product_ratings pr on pr.product_id = c.id
    where c.rating_count <> coalesce(r.n, 0) or c.rating_sum <> coalesce(r.total, 0)
       or coalesce(pr.stars_1 + pr.stars_2 + pr.stars_3 + pr.stars_4 + pr.stars_5, 0) <> coalesce(r.n, 0)
       or coalesce(pr.stars_1 + 2 * pr.stars_2 + 3 * pr.stars_3 + 4 * pr.stars_4 + 5 * pr.stars_5, 0) <> coalesce(r.total, 0))::int`
}

/** Like the desktop app: the same key until a final answer (a 2xx or a 4xx other than 409/429). */
async function once(method: string, path: string, token: string, body?: unknown) {
  const key = crypto.randomUUID()
  let last = { status: 0, code: '' }
  for (let attempt = 0; attempt < 30; attempt++) {
    const res = await call(method, path, { token, body, key })
    last = { status: res.status, code: `${res.body?.code ?? ''}${res.body?.detail ? ` (${res.body.detail})` : ''}` }
    const inFlight = res.status === 409 && res.body?.code === 'idempotency_key_in_flight'
    const final = res.status >= 200 && res.status < 500 && !inFlight && res.status !== 429 && res.status !== 401
    if (final) return { ...res, key }
    if (res.status === 401) await Bun.sleep(500)
    await Bun.sleep(200 + attempt * 100)
  }
  return { status: -1, body: { code: `gave up after ${last.status} ${last.code}` }, key }
}

interface Customer {
  email: string
  password: string
  token: string
}

async function signIn(c: Customer) {
  for (let i = 0; i < 60; i++) {
    const res = await call('POST', '/api/auth/login', { body: { email: c.email, password: c.password } })
    if (res.status === 200) {
      c.token = res.body.accessToken
      return
    }
    await Bun.sleep(500)
  }
  throw new Error(`could not sign in ${c.email}`)
}

// --- the run ---------------------------------------------------------------------------------

let exitCode = 1
try {
  await admin.unsafe(`create database ${dbName}`)
  startRedis()
  await Bun.sleep(300)
  for (const p of processes) start(p)
  for (const p of processes.filter((p) => p.port)) await waitReady(p)
  log(`system up: ${processes.length} processes (two of each API service behind the gateway, two of each worker), Redis (AOF, fsync every second) on :${redisPort}`)

  const adminToken = (await call('POST', '/api/auth/login', { body: ADMIN })).body.accessToken
  const INITIAL_STOCK = 400
  const products: { id: string; price: number }[] = []
  for (let i = 0; i < 12; i++) {
    const price = 300 + i * 175
    const res = await call('POST', '/api/products', { token: adminToken, body: { name: `Chaos Item ${i}`, category: 'Chaos', price, currency: 'EUR', stock: INITIAL_STOCK } })
    products.push({ id: res.body.id, price })
  }
  const customers: Customer[] = []
  for (let i = 0; i < clientCount; i++) {
    const c = { email: `chaos${i}@shop.local`, password: 'chaos password 123', token: '' }
    await call('POST', '/api/auth/register', { body: { email: c.email, password: c.password, name: `Chaos ${i}` } })
    await signIn(c)
    await call('POST', '/api/wallet', { token: c.token, body: { currency: 'EUR' } })
    customers.push(c)
  }
  log(`${products.length} products with ${INITIAL_STOCK} each, ${customers.length} customers with wallets`)

  const accepted = {
    orders: new Set<string>(),
    deposits: new Map<string, number>(),
    /** Supplies and adjustments answered 201, by Idempotency-Key: what each changed, by product. */
    stock: new Map<string, { kind: 'supply' | 'adjustment'; deltas: Map<string, number> }>(),
    cancels: 0,
    /** Fulfilment answered 200: ships and deliveries by the admin, returns asked by customers, receipts. */
    ships: 0,
    deliveries: 0,
    returns: 0,
    receipts: 0,
    /** Reviews: written (201), edited (200), hidden and unhidden by the admin (200). */
    reviews: 0,
    reviewEdits: 0,
    moderations: 0,
    refused: 0,
    gaveUp: 0,
  }
  const gaveUpWith = new Map<string, number>()
  let running = true
  const clients = customers.map(async (c, index) => {
    const mine: string[] = []
    /** The customer's reviews, by product. */
    const reviewed = new Map<string, string>()
    let n = 0
    while (running) {
      n++
      const roll = Math.random()
      if (roll < 0.15 || n === 1) {
        const amount = 2000 + Math.floor(Math.random() * 8000)
        const res = await once('POST', '/api/wallet/deposits', c.token, { amount })
        if (res.status === 201) accepted.deposits.set(res.key, amount)
        else if (res.status === 401 || res.status === -1) await signIn(c)
      } else if (roll < 0.27 && mine.length) {
        const id = mine[Math.floor(Math.random() * mine.length)]!
        const res = await once('POST', `/api/orders/${id}/cancel`, c.token)
        if (res.status === 200) accepted.cancels++
      } else if (roll < 0.31 && mine.length) {
        // A delivered order sent back.
        const delivered = await call('GET', '/api/orders?status=DELIVERED&limit=5', { token: c.token })
        const id = (delivered.body?.items as { id: string }[] | undefined)?.[0]?.id
        if (id) {
          const res = await once('POST', `/api/orders/${id}/return`, c.token, { reason: 'chaos: not as described' })
          if (res.status === 200) accepted.returns++
        }
      } else if (roll < 0.35 && mine.length) {
        // A product of a delivered order reviewed, or the review's rating changed.
        const delivered = await call('GET', '/api/orders?status=DELIVERED&limit=5', { token: c.token })
        const order = (delivered.body?.items as { items: { productId: string }[] }[] | undefined)?.[0]
        const productId = order?.items[Math.floor(Math.random() * order.items.length)]?.productId
        const rating = 1 + Math.floor(Math.random() * 5)
        const existing = productId && reviewed.get(productId)
        if (existing) {
          if ((await once('PATCH', `/api/reviews/${existing}`, c.token, { rating })).status === 200) accepted.reviewEdits++
        } else if (productId) {
          // 403 while the delivery is still on its way to the reviews worker; 409 when a lost answer's retry finds it.
          const res = await once('POST', '/api/reviews', c.token, { productId, rating, body: `chaos review: ${rating} stars` })
          if (res.status === 201) {
            accepted.reviews++
            reviewed.set(productId, res.body.id)
          }
        }
      } else {
        const count = 1 + Math.floor(Math.random() * 3)
        const items = Array.from({ length: count }, () => products[Math.floor(Math.random() * products.length)]!)
        const unique = [...new Map(items.map((p) => [p.id, { productId: p.id, quantity: 1 + Math.floor(Math.random() * 2) }])).values()]
        const res = await once('POST', '/api/orders', c.token, { items: unique })
        if (res.status === 202) {
          accepted.orders.add(res.body.id)
          mine.push(res.body.id)
        } else if (res.status === -1) {
          accepted.gaveUp++
          gaveUpWith.set(res.body.code, (gaveUpWith.get(res.body.code) ?? 0) + 1)
        }
        else accepted.refused++
      }
      if (index % 4 === 0) await Bun.sleep(20)
    }
  })

  // The admin: a supply of 1-3 products or an adjustment (-3..+5, which may meet reserved stock:
  // 409) every 0.3-0.8 s, each with its Idempotency-Key reused until a final answer.
  const stockClerk = (async () => {
    while (running) {
      await Bun.sleep(300 + Math.random() * 500)
      if (Math.random() < 0.5) {
        const picked = [...new Set(Array.from({ length: 1 + Math.floor(Math.random() * 3) }, () => products[Math.floor(Math.random() * products.length)]!.id))]
        const items = picked.map((productId) => ({ productId, quantity: 1 + Math.floor(Math.random() * 20) }))
        const res = await once('POST', '/api/inventory/supplies', adminToken, { reference: `chaos-${crypto.randomUUID().slice(0, 8)}`, items })
        if (res.status === 201) accepted.stock.set(res.key, { kind: 'supply', deltas: new Map(items.map((i) => [i.productId, i.quantity])) })
      } else {
        const productId = products[Math.floor(Math.random() * products.length)]!.id
        const delta = [-3, -2, -1, 1, 2, 3, 4, 5][Math.floor(Math.random() * 8)]!
        const res = await once('POST', '/api/inventory/adjustments', adminToken, { productId, delta, reason: 'chaos stocktake' })
        if (res.status === 201) accepted.stock.set(res.key, { kind: 'adjustment', deltas: new Map([[productId, delta]]) })
      }
    }
  })()

  // The warehouse: every 0.1-0.3 s, the oldest of the newest paid orders is shipped, a shipped one
  // delivered, a return received, through the owner's list (GET /api/admin/orders), each action
  // with its Idempotency-Key reused until a final answer.
  const warehouse = (async () => {
    const next = async (status: string) => {
      const res = await call('GET', `/api/admin/orders?status=${status}&limit=20`, { token: adminToken })
      const items = (res.body?.items as { id: string }[] | undefined) ?? []
      return items[Math.floor(Math.random() * items.length)]?.id
    }
    while (running) {
      await Bun.sleep(100 + Math.random() * 200)
      const paid = await next('PAID')
      if (paid && (await once('POST', `/api/orders/${paid}/ship`, adminToken, { carrier: 'Chaos Parcel', trackingNumber: `CP${paid.slice(0, 8)}` })).status === 200) accepted.ships++
      const shipped = await next('SHIPPED')
      if (shipped && (await once('POST', `/api/orders/${shipped}/deliver`, adminToken)).status === 200) accepted.deliveries++
      const asked = await next('RETURN_REQUESTED')
      if (asked && (await once('POST', `/api/orders/${asked}/return/receive`, adminToken)).status === 200) accepted.receipts++
      // Now and then a review hidden, or a hidden one brought back.
      if (Math.random() < 0.2) {
        const hide = Math.random() < 0.6
        const res = await call('GET', `/api/admin/reviews?hidden=${!hide}&limit=20`, { token: adminToken })
        const items = (res.body?.items as { id: string }[] | undefined) ?? []
        const id = items[Math.floor(Math.random() * items.length)]?.id
        if (id && (await once('POST', `/api/reviews/${id}/${hide ? 'hide' : 'unhide'}`, adminToken)).status === 200) accepted.moderations++
      }
    }
  })()

  // The controller: a fault every 2-5 s while the load runs, the kinds dealt from a shuffled deck
  // (two worker kills for every other kind), so every kind comes several times in a run.
  const faults: string[] = []
  const workers = processes.filter((p) => !p.port)
  const services = processes.filter((p) => p.port && p.name !== 'gateway')
  const deadline = Date.now() + loadSeconds * 1000
  const tokenRefresher = setInterval(() => customers.forEach((c) => void signIn(c).catch(() => {})), 10 * 60_000)
  const KINDS = ['worker', 'worker', 'service', 'service', 'redis-kill', 'redis-empty', 'redis-forget', 'postgres'] as const
  let deck: (typeof KINDS)[number][] = []
  while (Date.now() < deadline) {
    await Bun.sleep(2000 + Math.random() * 3000)
    if (deck.length === 0) deck = [...KINDS].sort(() => Math.random() - 0.5)
    const kind = deck.pop()!
    const fault = (what: string) => {
      faults.push(what)
      lastFault = { what, at: Date.now() }
    }
    if (kind === 'worker') {
      const victim = workers[Math.floor(Math.random() * workers.length)]!
      victim.child?.kill('SIGKILL')
      await victim.child?.exited
      fault(`SIGKILL ${victim.name}`)
      log(`fault: SIGKILL ${victim.name}`)
      await Bun.sleep(500 + Math.random() * 2500)
      start(victim)
    } else if (kind === 'service') {
      // One API instance whose sibling is up and ready, so the gateway has somewhere to go (an
      // earlier kill's restart may still be starting: two down at once is an outage, not this fault).
      const victim = services[Math.floor(Math.random() * services.length)]!
      const siblings = services.filter((s) => s !== victim && s.name.replace(/-\d+$/, '') === victim.name.replace(/-\d+$/, ''))
      const ready = (s: Managed) => fetch(`http://127.0.0.1:${s.port}/ready`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false)
      for (const until = Date.now() + 30_000; Date.now() < until && !(await Promise.all(siblings.map(ready))).every(Boolean); ) await Bun.sleep(200)
      victim.child?.kill('SIGKILL')
      await victim.child?.exited
      fault(`SIGKILL ${victim.name} (API instance)`)
      log(`fault: SIGKILL ${victim.name} (API instance)`)
      await Bun.sleep(300 + Math.random() * 1500)
      start(victim)
    } else if (kind === 'redis-kill' || kind === 'redis-empty') {
      redisProcess?.kill('SIGKILL')
      await redisProcess?.exited
      // Empty: a Redis that kept nothing on disk (or a failover to a replica that had nothing).
      if (kind === 'redis-empty') for (const entry of readdirSync(redisDir)) rmSync(join(redisDir, entry), { recursive: true, force: true })
      const what = kind === 'redis-empty' ? 'SIGKILL redis, restarted empty' : 'SIGKILL redis'
      fault(what)
      log(`fault: ${what}`)
      await Bun.sleep(500 + Math.random() * 2000)
      startRedis()
    } else if (kind === 'redis-forget') {
      const deleted = await forgetQueues().catch(() => -1)
      fault(`every key of the prefix deleted`)
      log(`fault: deleted ${deleted} Redis keys of the prefix "${env.QUEUE_PREFIX}"`)
    } else {
      const [row] = await admin`
        select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
        where datname = ${dbName} and pid <> pg_backend_pid()`
      fault('postgres connections cut')
      log(`fault: cut ${row!.n} Postgres connections`)
    }
  }
  running = false
  clearInterval(tokenRefresher)
  await Promise.all([...clients, stockClerk, warehouse])
  log(`load stopped: ${accepted.orders.size} orders accepted, ${accepted.deposits.size} deposits, ${accepted.stock.size} supplies and adjustments, ${accepted.cancels} cancels, ${accepted.ships} shipped, ${accepted.deliveries} delivered, ${accepted.returns} returns asked, ${accepted.receipts} received, ${accepted.reviews} reviews written, ${accepted.reviewEdits} edited, ${accepted.moderations} hidden or unhidden, ${accepted.refused} refused (409/422), ${accepted.gaveUp} given up`)
  if (gaveUpWith.size) log(`orders given up by clients, by last answer: ${JSON.stringify(Object.fromEntries(gaveUpWith))}`)

  // Recovery: every process up, then wait for every order to settle.
  for (const p of processes) if (!p.child || p.child.exitCode !== null) start(p)
  for (const p of processes.filter((p) => p.port)) await waitReady(p)
  // The shared client: camelCase columns and bigint as number (all figures are far below 2^53).
  const sql = createSql({ url: dbUrl.toString(), schema: 'public', max: 2 })
  const settleBy = Date.now() + 120_000
  let unsettled = -1
  while (Date.now() < settleBy) {
    const [row] = await sql<{ n: number }[]>`
      select count(*)::int as n from orders.orders
      where status = 'NEW' or refund_status = 'requested' or void_status = 'requested'`
    const [reserved] = await sql<{ n: number }[]>`select count(*)::int as n from catalog.reservations where status = 'reserved'`
    // A paid order cancelled or returned: its restock may still be on its way (the event, or the
    // reconciler's give-back a timeout later).
    const [restocking] = await sql<{ n: number }[]>`
      select (select count(*) from catalog.reservations r join orders.orders o on o.id = r.order_id
              where r.status = 'committed' and o.status in ('CANCELLED', 'RETURNED'))
           + (select count(*) from orders.orders where restock_status = 'requested') as n`
    // Reviews: every delivery recorded as purchases (and returns as returned), and the catalog's
    // ratings caught up with the reviews' (events on their way, or redelivered after a fault).
    const [purchases] = await sql<{ n: number }[]>`select ${purchaseMismatches(sql)} as n`
    const [ratings] = await sql<{ n: number }[]>`select ${ratingMismatches(sql)} as n`
    unsettled = row!.n + reserved!.n + restocking!.n + purchases!.n + ratings!.n
    if (unsettled === 0) break
    await Bun.sleep(1000)
  }
  log(
    unsettled === 0
      ? 'recovered: no order NEW, no refund or void pending, no stock reserved, no cancelled order unrestocked, every delivery a purchase, every rating caught up'
      : `not settled after 120 s: ${unsettled} left`,
  )

  // --- invariants ---
  const ids = [...accepted.orders]
  const [{ n: found }] = (await sql`select count(*)::int as n from orders.orders where id = any(${ids}::uuid[])`) as unknown as [{ n: number }]
  const lost = ids.length - found
  const [{ n: stuck }] = (await sql`
    select count(*)::int as n from orders.orders
    where status = 'NEW' or refund_status = 'requested' or void_status = 'requested'`) as unknown as [{ n: number }]
  const [charges] = await sql<{ doublePayments: number; doubleRefunds: number }[]>`
    select count(*) filter (where kind = 'payment' and n > 1)::int as double_payments,
           count(*) filter (where kind = 'refund' and n > 1)::int as double_refunds
    from (select order_id, kind, count(*) as n from payments.ledger_entries where order_id is not null group by 1, 2) x`
  const [{ n: negative }] = (await sql`select count(*)::int as n from payments.wallets where balance < 0`) as unknown as [{ n: number }]
  const [{ n: unbalanced }] = (await sql`
    select count(*)::int as n from (
      select w.id from payments.wallets w left join payments.ledger_entries l on l.wallet_id = w.id
      group by w.id having w.balance <> coalesce(sum(l.amount), 0)) x`) as unknown as [{ n: number }]
  // Every order's money matches its fate: paid orders charged once and kept, cancelled ones
  // either never charged or charged and refunded, and the amount is the order's total.
  const money = await sql<{ id: string; status: string; total: number; paid: number; refunded: number }[]>`
    select o.id, o.status, o.total,
      coalesce(sum(-l.amount) filter (where l.kind = 'payment'), 0)::bigint as paid,
      coalesce(sum(l.amount) filter (where l.kind = 'refund'), 0)::bigint as refunded
    from orders.orders o left join payments.ledger_entries l on l.order_id = o.id
    group by o.id`
  const wrongMoney = money.filter((o) =>
    o.status === 'CANCELLED'
      ? !(o.paid === 0 && o.refunded === 0) && !(o.paid === o.total && o.refunded === o.total)
      : o.status === 'RETURNED'
        ? !(o.paid === o.total && o.refunded === o.total)
        : !(o.paid === o.total && o.refunded === 0),
  )
  // Every returned order refunded exactly once, its whole total.
  const returnedUnrefunded = money.filter((o) => o.status === 'RETURNED' && o.refunded !== o.total).length
  // The hole Redis loss used to open: a cancelled order whose money was taken and never given back.
  const cancelledCharged = money.filter((o) => o.status === 'CANCELLED' && o.paid > o.refunded).length
  const depositKeys = [...accepted.deposits.keys()]
  const booked = await sql<{ depositKey: string; amount: number; n: number }[]>`
    select deposit_key, min(amount)::bigint as amount, count(*)::int as n from payments.ledger_entries
    where kind = 'deposit' and deposit_key = any(${depositKeys}) group by 1`
  const depositProblems = depositKeys.filter((k) => {
    const row = booked.find((b) => b.depositKey === k)
    return !row || row.n !== 1 || row.amount !== accepted.deposits.get(k)
  }).length
  // What supplies and adjustments added, from the ledger; that each accepted one is there once is checked below.
  const stock = await sql<{ id: string; stock: number; reserved: number; committed: number; added: number }[]>`
    select p.id, p.stock, p.reserved,
      coalesce((select sum(i.quantity) from catalog.reservation_items i join catalog.reservations r using (order_id)
                where i.product_id = p.id and r.status = 'committed'), 0)::int as committed,
      coalesce((select sum(m.delta) from catalog.stock_movements m
                where m.product_id = p.id and m.kind in ('supply', 'adjustment')), 0)::int as added
    from catalog.products p`
  const stockProblems = stock.filter((p) => p.stock + p.committed !== INITIAL_STOCK + p.added || p.reserved !== 0).length
  // Every supply and adjustment answered 201 is in the ledger exactly once, as it was asked.
  const stockKeys = [...accepted.stock.keys()]
  const bookedStock = await sql<{ key: string; productId: string; delta: number; n: number }[]>`
    select coalesce(s.idempotency_key, m.idempotency_key) as key, m.product_id, sum(m.delta)::int as delta, count(*)::int as n
    from catalog.stock_movements m left join catalog.supplies s on s.id = m.supply_id
    where coalesce(s.idempotency_key, m.idempotency_key) = any(${stockKeys})
    group by 1, 2`
  const inventoryProblems = stockKeys.filter((key) => {
    const { deltas } = accepted.stock.get(key)!
    const rows = bookedStock.filter((b) => b.key === key)
    return rows.length !== deltas.size || rows.some((r) => r.n !== 1 || deltas.get(r.productId) !== r.delta)
  }).length
  const catalogSql = createSql({ url: dbUrl.toString(), schema: 'catalog', max: 1 })
  const ledgerMismatch = (await stockLedgerMismatches(catalogSql)).length
  await catalogSql.end()
  // Committed stock belongs to orders that keep their goods: paid (or later), never NEW nor
  // cancelled (a paid order cancelled is restocked); restocked stock to cancelled or returned ones.
  const [{ n: commitMismatch }] = (await sql`
    select count(*)::int as n from catalog.reservations r
    left join orders.orders o on o.id = r.order_id
    where (r.status = 'committed' and (o.id is null or o.status in ('NEW', 'CANCELLED', 'RETURNED')))
       or (r.status = 'restocked' and (o.id is null or o.status not in ('CANCELLED', 'RETURNED')))`) as unknown as [{ n: number }]
  const [{ n: unrestocked }] = (await sql`
    select count(*)::int as n from catalog.reservations r join orders.orders o on o.id = r.order_id
    where r.status = 'committed' and o.status in ('CANCELLED', 'RETURNED')`) as unknown as [{ n: number }]
  const [{ n: dead }] = (await sql`
    select (select count(*) from payments.dead_letters) + (select count(*) from orders.dead_letters) + (select count(*) from catalog.dead_letters)
         + (select count(*) from reviews.dead_letters) as n`) as unknown as [{ n: number }]
  const [{ n: purchaseMismatch }] = (await sql`select ${purchaseMismatches(sql)} as n`) as unknown as [{ n: number }]
  const [{ n: ratingMismatch }] = (await sql`select ${ratingMismatches(sql)} as n`) as unknown as [{ n: number }]
  const statuses = await sql<{ status: string; n: number }[]>`select status, count(*)::int as n from orders.orders group by 1 order by 1`
  const reasons = await sql<{ reason: string; n: number }[]>`
    select reason, count(*)::int as n from orders.orders where status = 'CANCELLED' group by 1 order by 2 desc`
  // How often the reconciler had to ask payments again (orders whose payment was requested more than once).
  const [{ n: reasked }] = (await sql`
    select count(*)::int as n from (
      select payload->>'orderId' from orders.outbox where name = 'payment.requested' group by 1 having count(*) > 1) x`) as unknown as [{ n: number }]
  await sql.end()

  console.log('\nfaults injected:')
  const tally = new Map<string, number>()
  for (const f of faults) tally.set(f, (tally.get(f) ?? 0) + 1)
  for (const [f, n] of [...tally].sort()) console.log(`  ${String(n).padStart(3)} × ${f}`)
  console.log(`orders by status: ${statuses.map((s) => `${s.status}=${s.n}`).join(' ')}; cancelled by reason: ${reasons.map((r) => `${r.reason}=${r.n}`).join(' ')}; payment asked again for ${reasked}`)
  console.log(
    `checks: ledger_unbalanced=${unbalanced} money_mismatch=${wrongMoney.length} cancelled_charged=${cancelledCharged} double_refunds=${charges!.doubleRefunds} ` +
      `deposit_problems=${depositProblems}/${depositKeys.length} stock_problems=${stockProblems}/${stock.length} ` +
      `inventory_problems=${inventoryProblems}/${stockKeys.length} stock_ledger_mismatch=${ledgerMismatch} ` +
      `commit_mismatch=${commitMismatch} unrestocked=${unrestocked} returned_unrefunded=${returnedUnrefunded} ` +
      `purchase_mismatch=${purchaseMismatch} rating_mismatch=${ratingMismatch} dead_letters=${dead}`,
  )
  for (const o of wrongMoney.slice(0, 5)) console.log(`  money mismatch: ${JSON.stringify(o)}`)
  // The 5xx clients saw: by whether the gateway may retry the request, by status, by the fault before it.
  const retried5xx = serverErrors.filter((e) => e.retried)
  const apiKill5xx = retried5xx.filter((e) => e.fault.endsWith('(API instance)') && e.sinceFaultMs < 10_000)
  const byKey = (list: typeof serverErrors, key: (e: (typeof serverErrors)[number]) => string) => {
    const counts = new Map<string, number>()
    for (const e of list) counts.set(key(e), (counts.get(key(e)) ?? 0) + 1)
    return [...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}=${n}`).join(' ') || 'none'
  }
  console.log(
    `client_5xx=${serverErrors.length} (retried requests: ${retried5xx.length}, of them within 10 s of an API instance kill: ${apiKill5xx.length}; not retried: ${serverErrors.length - retried5xx.length})`,
  )
  if (serverErrors.length) {
    console.log(`  5xx by status: ${byKey(serverErrors, (e) => String(e.status))}`)
    console.log(`  5xx by the fault before it: ${byKey(serverErrors, (e) => `${e.retried ? 'retried' : 'not-retried'}:${e.fault.replace(/-\d+ /, ' ').replace(/SIGKILL (\S+?)(-\d)? /, 'SIGKILL $1 ')}`)}`)
    console.log(`  5xx by route: ${byKey(serverErrors, (e) => `${e.route} ${e.status}`)}`)
  }
  const doubleCharged = charges!.doublePayments + charges!.doubleRefunds
  console.log(`orders=${ids.length} faults=${faults.length} lost=${lost} double_charged=${doubleCharged} negative=${negative} stuck=${stuck} client_5xx_after_api_kill=${apiKill5xx.length}`)
  const problems = [lost, doubleCharged, negative, stuck, unbalanced, wrongMoney.length, cancelledCharged, depositProblems, stockProblems]
  problems.push(inventoryProblems, ledgerMismatch, commitMismatch, unrestocked, returnedUnrefunded, purchaseMismatch, ratingMismatch)
  exitCode = problems.every((n) => n === 0) ? 0 : 1
} catch (error) {
  console.error(`chaos run failed: ${(error as Error).message}`)
} finally {
  await stopAll()
  await admin.unsafe(`drop database if exists ${dbName} with (force)`).catch(() => {})
  await admin.end()
  rmSync(redisDir, { recursive: true, force: true })
}
process.exit(exitCode)
