/**
 * `bun run bench` (not a test): the whole system started with `bun run start` on a fresh database
 * of its own (free ports, own queue prefix), customers with funded wallets and a catalog, then
 * orders through the gateway in two phases:
 *   0. warm-up: the open loop's rate for a few seconds, reported on its own line and not in the
 *      figures (the first second after a start pays for JIT compilation and new connections);
 *   1. open loop at a fixed rate: POST /api/orders latency and order→PAID latency (PAID as seen
 *      on each customer's SSE stream, from the moment the POST is sent);
 *   2. closed loop at saturation: concurrent clients ordering back to back: paid orders/s.
 * It reports CPU ms per paid order per process (from /proc, Postgres and Redis included), peak
 * RSS per process, checks that every order is final, every ledger sums to its balance and nothing
 * was lost or charged twice, writes a JSON report and prints one final line.
 *
 *   bun run bench [rate=100] [seconds=10] [saturation-seconds=10] [clients=32] [customers=20] [products=50] [warm-up-seconds=2]
 * BENCH_REPORT=path sets where the JSON report goes (default bench-report.json). SHOP_INSTANCES=2
 * runs every API service and worker twice behind the gateway (as `bun run start -- --instances 2`);
 * a process's CPU is then the sum over its instances.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import postgres from 'postgres'
import { createSql } from '@shop/shared/data/db'
import { Redis } from 'ioredis'
import { TEST_DATABASE_URL, TEST_REDIS_URL, deleteRedisPrefix, freePort, uniqueName } from '@shop/shared/testing'
import { portFree } from '@shop/shared/runtime/lifecycle'
import { openSse, type SseConnection } from '../tests/sse.ts'
import { INSTANCE_PORT_STEP, PROCESSES } from './processes.ts'

const [rate = 100, openSeconds = 10, closedSeconds = 10, closedClients = 32, customerCount = 20, productCount = 50, warmUpSeconds = 2] =
  process.argv.slice(2).map(Number)
const orders = rate * openSeconds
const ROOT = join(import.meta.dir, '..')
const dbName = uniqueName('latency')
const prefix = uniqueName('lat')
const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} })
const url = new URL(TEST_DATABASE_URL)
url.pathname = `/${dbName}`
const instances = Number(process.env.SHOP_INSTANCES || 1)
/** A free port whose next instances' ports (10 apart, as `bun run start` gives them) are free too. */
const taken = new Set<number>()
function freeBlock(): number {
  for (;;) {
    const port = freePort()
    const block = Array.from({ length: instances }, (_, k) => port + k * INSTANCE_PORT_STEP)
    if (block.some((p) => taken.has(p) || p >= 65_536) || !block.slice(1).every((p) => portFree(p, '127.0.0.1'))) continue
    for (const p of block) taken.add(p)
    return port
  }
}
// A free port for every process (from the manifests), and for its other instances: a running shop is never touched.
const ports = Object.fromEntries(PROCESSES.map((p) => [p.portEnv, String(freeBlock())]))
const base = (name: string) => `http://127.0.0.1:${ports[PROCESSES.find((p) => p.name === name)!.portEnv]}`
const ADMIN = { email: 'bench-admin@shop.local', password: 'bench admin password' }

async function json(method: string, target: string, body?: unknown, headers: Record<string, string> = {}) {
  try {
    const res = await fetch(target, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : undefined }
  } catch {
    // Counted as a failure by the caller: status 0 means the gateway could not be reached.
    return { status: 0, body: undefined }
  }
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

/** Peak resident set size of a process in MB (VmHWM), 0 once it is gone. */
function peakRssMb(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'))
    return Math.round(Number(line?.replace(/\D+/g, '') ?? 0) / 1024)
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
    ...ports,
    WRITE_LIMIT_PER_MINUTE: '100000000',
    ANONYMOUS_WRITE_LIMIT_PER_MINUTE: '100000000',
    MAX_DEPOSIT: '1000000000',
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
// Ctrl-C: stop the system it started and drop its database, like a normal end.
let interrupted = false
const cleanUp = async () => {
  for (const stream of streams) stream.close()
  if (system.exitCode === null) system.kill('SIGTERM')
  await system.exited
  await deleteRedisPrefix(prefix)
  await admin.unsafe(`drop database if exists ${dbName} with (force)`)
  await admin.end()
}
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    if (interrupted) return
    interrupted = true
    console.log(`\n${signal}: stopping the system and dropping ${dbName}`)
    void cleanUp().finally(() => process.exit(130))
  })
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
  const api = base('gateway')
  console.log('system up; preparing customers and products')

  const adminToken = (await json('POST', `${api}/api/auth/login`, ADMIN)).body.accessToken
  const products = await Promise.all(
    Array.from({ length: productCount }, async (_, i) =>
      (
        await json('POST', `${api}/api/products`, { name: `Bench Widget ${i}`, category: 'Bench', price: 100, currency: 'EUR', stock: 1_000_000 }, {
          authorization: `Bearer ${adminToken}`,
        })
      ).body as { id: string },
    ),
  )
  const customers = await Promise.all(
    Array.from({ length: customerCount }, async (_, i) => {
      const email = `bench${i}@shop.local`
      const password = 'bench password 123'
      await json('POST', `${api}/api/auth/register`, { email, password, name: `Bench ${i}` })
      const token = (await json('POST', `${api}/api/auth/login`, { email, password })).body.accessToken as string
      const auth = { authorization: `Bearer ${token}` }
      await json('POST', `${api}/api/wallet`, { currency: 'EUR' }, auth)
      await json('POST', `${api}/api/wallet/deposits`, { amount: 100_000_000 }, { ...auth, 'idempotency-key': `seed-${i}` })
      return { token, auth }
    }),
  )

  const sentAt = new Map<string, number>()
  const paidAt = new Map<string, number>()
  const cancelled = new Set<string>()
  for (const customer of customers) {
    const stream = await openSse(`${api}/api/orders/events`, customer.auth)
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

  const failures: string[] = []
  let sequence = 0
  async function placeOrder(postLatency: number[]): Promise<void> {
    const i = sequence++
    const customer = customers[i % customers.length]!
    const product = products[i % products.length]!
    const t0 = performance.now()
    const res = await json('POST', `${api}/api/orders`, { items: [{ productId: product.id, quantity: 1 }] }, { ...customer.auth, 'idempotency-key': `bench-${i}` })
    postLatency.push(performance.now() - t0)
    if (res.status !== 202) failures.push(`${res.status} ${res.body?.code}`)
    else sentAt.set(res.body.id, t0)
  }
  // Postgres starts a backend per pool connection as the services open them, so the server's
  // processes are listed again when the measurement starts and when it ends; a backend that
  // appears in between counts from zero.
  const storeList = () => Object.entries(storePids()).flatMap(([name, pids]) => pids.map((pid) => ({ name, pid })))
  const progress = (label: string, from: number) => {
    let last = paidAt.size
    return setInterval(() => {
      const now = paidAt.size
      console.log(`  ${label}: ${Math.round((performance.now() - from) / 1000)} s, ${now - last} paid in the last second, ${sentAt.size} accepted, ${cancelled.size} cancelled so far`)
      last = now
    }, 1000)
  }

  /** `count` orders at `rate`/s; returns the ids accepted, once each is final (or after 30 s). */
  async function openLoop(label: string, count: number, post: number[]): Promise<string[]> {
    const before = new Set(sentAt.keys())
    const start = performance.now()
    const ticker = progress(label, start)
    const inflight: Promise<void>[] = []
    for (let i = 0; i < count; i++) {
      const wait = start + (i * 1000) / rate - performance.now()
      if (wait > 0) await Bun.sleep(wait)
      inflight.push(placeOrder(post))
    }
    await Promise.all(inflight)
    const ids = [...sentAt.keys()].filter((id) => !before.has(id))
    const deadline = performance.now() + 30_000
    while (ids.some((id) => !paidAt.has(id) && !cancelled.has(id)) && performance.now() < deadline) await Bun.sleep(50)
    clearInterval(ticker)
    return ids
  }
  const latencies = (ids: string[]) => ids.filter((id) => paidAt.has(id)).map((id) => paidAt.get(id)! - sentAt.get(id)!)

  // Phase 0: warm-up, reported apart.
  const warmUpPost: number[] = []
  let warmUpPaid: number[] = []
  if (warmUpSeconds > 0) {
    console.log(`phase 0: warm-up, ${rate * warmUpSeconds} orders at ${rate}/s (reported apart, not in the figures)`)
    warmUpPaid = latencies(await openLoop('warm-up', rate * warmUpSeconds, warmUpPost))
  }

  // Phase 1: open loop at a fixed rate.
  console.log(`phase 1: ${orders} orders at ${rate}/s (open loop), ${customerCount} customers, ${productCount} products`)
  const openPost: number[] = []
  const openIds = await openLoop('open loop', orders, openPost)
  const toPaid = latencies(openIds)

  // Phase 2: closed loop at saturation.
  console.log(`phase 2: ${closedClients} clients ordering back to back for ${closedSeconds} s (closed loop)`)
  const closedPost: number[] = []
  const paidBefore = paidAt.size
  const measuredBefore = [...children, ...storeList()]
  const cpuBefore = new Map(measuredBefore.map((p) => [p.pid, cpuMs(p.pid)]))
  const loadGeneratorBefore = process.cpuUsage()
  const closedStart = performance.now()
  const closedTicker = progress('closed loop', closedStart)
  const closedEnd = closedStart + closedSeconds * 1000
  await Promise.all(
    Array.from({ length: closedClients }, async () => {
      while (performance.now() < closedEnd) await placeOrder(closedPost)
    }),
  )
  const settleDeadline = performance.now() + 30_000
  while (paidAt.size + cancelled.size < sentAt.size && performance.now() < settleDeadline) await Bun.sleep(50)
  const closedElapsed = (performance.now() - closedStart) / 1000
  clearInterval(closedTicker)
  const loadGeneratorUsage = process.cpuUsage(loadGeneratorBefore)
  const loadGeneratorMs = (loadGeneratorUsage.user + loadGeneratorUsage.system) / 1000
  const measured = [...children, ...storeList()]
  for (const p of measuredBefore) if (!measured.some((m) => m.pid === p.pid)) measured.push(p)
  const paidClosed = paidAt.size - paidBefore
  const cpuBy = new Map<string, number>()
  for (const p of measured) {
    const name = p.name.replace(/-\d+$/, '')
    // A process gone by the end (a backend that closed) counts as zero rather than negative.
    cpuBy.set(name, (cpuBy.get(name) ?? 0) + Math.max(0, cpuMs(p.pid) - (cpuBefore.get(p.pid) ?? 0)))
  }
  const rss = new Map<string, number>()
  for (const p of measured) rss.set(p.name, Math.max(rss.get(p.name) ?? 0, peakRssMb(p.pid)))

  const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d
  // Checks: every order final, ledgers sum to balances, nothing lost, nothing charged twice.
  const sql = createSql({ url: url.toString(), schema: 'public', max: 2 })
  const accepted = [...sentAt.keys()]
  const [check] = await sql<{ found: number; notFinal: number; unbalanced: number; doubleCharged: number; paidWithoutCharge: number }[]>`
    select
      (select count(*)::int from orders.orders where id = any(${accepted}::uuid[])) as found,
      (select count(*)::int from orders.orders where status = 'NEW') as not_final,
      (select count(*)::int from (select w.id from payments.wallets w left join payments.ledger_entries l on l.wallet_id = w.id
         group by w.id having w.balance <> coalesce(sum(l.amount), 0)) x) as unbalanced,
      (select count(*)::int from (select order_id from payments.ledger_entries where kind = 'payment' group by 1 having count(*) > 1) y) as double_charged,
      (select count(*)::int from orders.orders o where o.status = 'PAID'
         and not exists (select 1 from payments.ledger_entries l where l.order_id = o.id and l.kind = 'payment')) as paid_without_charge`
  // How many events each BullMQ job carried (the relay batches what a pass finds for a queue).
  const redis = new Redis(TEST_REDIS_URL)
  const batching: Record<string, { jobs: number; events: number; eventsPerJob: number }> = {}
  for (const queue of ['payments', 'orders', 'catalog']) {
    const jobs = await redis.zcard(`${prefix}:${queue}:completed`)
    const [row] = await sql.unsafe(`select count(*)::int as n from ${queue}.inbox`)
    batching[queue] = { jobs, events: row!.n, eventsPerJob: round(row!.n / Math.max(1, jobs), 2) }
  }
  redis.disconnect()
  // Where the open loop's order→PAID time goes, from the database's own timestamps (the same
  // clock as this process's): the API until the order statement, the hop to the payments worker
  // (commit, the dispatcher's add, BullMQ), the payment and the hop back to the orders worker, and from there to
  // the event on the customer's stream (commit, NOTIFY, SSE through the gateway).
  const paidOpen = openIds.filter((id) => paidAt.has(id))
  const stageRows = await sql<{ id: string; created: number; paymentStarted: number; outcomeStarted: number }[]>`
    select o.id, extract(epoch from o.created_at) * 1000 as created,
           extract(epoch from pi.received_at) * 1000 as payment_started,
           extract(epoch from oi.received_at) * 1000 as outcome_started
    from orders.orders o
    join orders.outbox ro on ro.name = 'payment.requested' and ro.payload->>'orderId' = o.id::text
    join payments.inbox pi on pi.message_id = ro.event_id
    join payments.outbox po on po.name = 'payment.succeeded' and po.payload->>'orderId' = o.id::text
    join orders.inbox oi on oi.message_id = po.event_id
    where o.id = any(${paidOpen}::uuid[])`
  const wall = (t: number) => performance.timeOrigin + t
  const stageLists = { api: [] as number[], toPayments: [] as number[], paymentToOrders: [] as number[], toClient: [] as number[] }
  for (const row of stageRows) {
    stageLists.api.push(Number(row.created) - wall(sentAt.get(row.id)!))
    stageLists.toPayments.push(Number(row.paymentStarted) - Number(row.created))
    stageLists.paymentToOrders.push(Number(row.outcomeStarted) - Number(row.paymentStarted))
    stageLists.toClient.push(wall(paidAt.get(row.id)!) - Number(row.outcomeStarted))
  }
  const stages = Object.fromEntries(
    Object.entries(stageLists).map(([name, xs]) => [name, { p50Ms: round(pct(xs, 50)), p99Ms: round(pct(xs, 99)) }]),
  )
  await sql.end()
  const lost = accepted.length - check!.found
  const duplicated = check!.doubleCharged

  const paidPerSecond = paidClosed / closedElapsed
  const cpuTotal = [...cpuBy.values()].reduce((a, b) => a + b, 0)
  const report = {
    when: new Date().toISOString(),
    machine: { cores: navigator.hardwareConcurrency },
    warmUp: {
      seconds: warmUpSeconds,
      orders: warmUpPost.length,
      postP99Ms: round(pct(warmUpPost, 99)),
      orderToPaidP50Ms: round(pct(warmUpPaid, 50)),
      orderToPaidP99Ms: round(pct(warmUpPaid, 99)),
    },
    openLoop: {
      rate,
      orders: openIds.length,
      failures: failures.length,
      postP50Ms: round(pct(openPost, 50)),
      postP99Ms: round(pct(openPost, 99)),
      orderToPaidP50Ms: round(pct(toPaid, 50)),
      orderToPaidP99Ms: round(pct(toPaid, 99)),
      orderToPaidStages: stages,
    },
    closedLoop: {
      clients: closedClients,
      seconds: round(closedElapsed),
      paid: paidClosed,
      paidOrdersPerSecond: round(paidPerSecond),
      postP50Ms: round(pct(closedPost, 50)),
      postP99Ms: round(pct(closedPost, 99)),
      cpuMsPerPaidOrder: Object.fromEntries([...cpuBy].map(([name, ms]) => [name, round(ms / Math.max(1, paidClosed), 2)])),
      cpuMsPerPaidOrderTotal: round(cpuTotal / Math.max(1, paidClosed), 2),
      loadGeneratorCpuMsPerPaidOrder: round(loadGeneratorMs / Math.max(1, paidClosed), 2),
    },
    peakRssMb: Object.fromEntries(rss),
    batching,
    checks: { accepted: accepted.length, lost, notFinal: check!.notFinal, unbalancedWallets: check!.unbalanced, duplicated, paidWithoutCharge: check!.paidWithoutCharge },
  }
  await Bun.write(process.env.BENCH_REPORT ?? join(ROOT, 'bench-report.json'), JSON.stringify(report, null, 2))
  if (warmUpPost.length)
    console.log(`warm-up (not in the figures): post p99 ${round(pct(warmUpPost, 99))} ms, order→PAID p50 ${round(pct(warmUpPaid, 50))} ms, p99 ${round(pct(warmUpPaid, 99))} ms`)
  console.log(
    `order→PAID at ${rate}/s by stage, p50/p99 ms: ` +
      Object.entries(stages).map(([name, st]) => `${name} ${st.p50Ms}/${st.p99Ms}`).join(', '),
  )
  console.log('CPU ms per paid order (closed loop), by process:')
  for (const [name, ms] of cpuBy) console.log(`  ${name.padEnd(18)} ${(ms / Math.max(1, paidClosed)).toFixed(2)}   peak RSS ${rss.get(name) ?? rss.get(`${name}`) ?? '-'} MB`)
  console.log(`  (the load generator itself, not counted: ${(loadGeneratorMs / Math.max(1, paidClosed)).toFixed(2)})`)
  console.log(`events per BullMQ job (whole run): ${Object.entries(batching).map(([q, b]) => `${q} ${b.eventsPerJob} (${b.events}/${b.jobs})`).join(', ')}`)
  if (failures.length) console.log(`failures: ${[...new Set(failures)].join(', ')}`)
  console.log(`checks: accepted=${accepted.length} not_final=${check!.notFinal} unbalanced_wallets=${check!.unbalanced} paid_without_charge=${check!.paidWithoutCharge}`)
  console.log(
    `paid_orders_per_s=${round(paidPerSecond)} post_p99_ms=${round(pct(openPost, 99))} order_to_paid_p50_ms=${round(pct(toPaid, 50))} ` +
      `order_to_paid_p99_ms=${round(pct(toPaid, 99))} cpu_ms_per_order=${round(cpuTotal / Math.max(1, paidClosed), 2)} lost=${lost} duplicated=${duplicated} instances=${instances}`,
  )
} finally {
  if (!interrupted) await cleanUp()
}
