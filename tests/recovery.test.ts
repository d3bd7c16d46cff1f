/**
 * Redis forgets: every key of the system's queue prefix deleted after the outbox marked events
 * sent (what a Redis restart without fsync, a failover or a flush does). Orders asks payments
 * again for every overdue answer, a timeout voids the payment, and the reconciler settles
 * reservations whose event was lost: every order ends final, no money is kept for a cancelled
 * order, and no stock stays reserved. Real Postgres and Redis, the whole backend.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { Queues, producerConnection } from '@shop/shared/messaging/queue'
import { TEST_REDIS_URL, deleteRedisPrefix, waitFor } from '@shop/shared/testing'
import { startSystem, type System } from './system.ts'

let s: System
let queues: Queues
let connection: ReturnType<typeof producerConnection>
beforeAll(async () => {
  s = await startSystem({ orderTimeoutSeconds: 4, reconcileIntervalMs: 250, reaskSeconds: 1 })
  connection = producerConnection(TEST_REDIS_URL)
  queues = new Queues(connection, s.prefix)
}, 60_000)
afterEach(async () => {
  expect(await s.unbalancedWallets()).toEqual([])
})
afterAll(async () => {
  await queues.close()
  connection.disconnect()
  await s.stop()
}, 60_000)

/** Resolves once no outbox row of either money service is waiting to be sent. */
async function allSent() {
  const pending = async () => {
    const [[o], [p]] = await Promise.all([
      s.db.orders.sql<{ n: number }[]>`select count(*)::int as n from outbox where sent_at is null`,
      s.db.payments.sql<{ n: number }[]>`select count(*)::int as n from outbox where sent_at is null`,
    ])
    return o!.n + p!.n === 0
  }
  expect(await waitFor(pending, 10_000)).toBe(true)
}

/** Orders still waiting for something: NEW, a refund or a void not yet confirmed. */
async function unsettled(ids: string[]): Promise<number> {
  const [row] = await s.db.orders.sql<{ n: number }[]>`
    select count(*)::int as n from orders
    where id = any(${ids}::uuid[]) and (status = 'NEW' or refund_status = 'requested' or void_status = 'requested')`
  return row!.n
}

/** For each order: its status and total, and what the ledger took and gave back for it. */
async function money(ids: string[]) {
  const orders = await s.db.orders.sql<{ id: string; status: string; total: number; userId: string }[]>`
    select id, status, total, user_id from orders where id = any(${ids}::uuid[])`
  const ledger = await s.db.payments.sql<{ orderId: string; paid: number; refunded: number }[]>`
    select order_id,
      coalesce(sum(-amount) filter (where kind = 'payment'), 0)::bigint as paid,
      coalesce(sum(amount) filter (where kind = 'refund'), 0)::bigint as refunded
    from ledger_entries where order_id = any(${ids}::uuid[]) group by order_id`
  return orders.map((o) => {
    const l = ledger.find((x) => x.orderId === o.id)
    return { ...o, paid: l?.paid ?? 0, refunded: l?.refunded ?? 0 }
  })
}

describe('Redis forgets the queues', () => {
  test('the payment request is lost: the order asks again and is paid once', async () => {
    const c = await s.customer(5000)
    const p = await s.product({ price: 1200, stock: 5 })
    // Paused in Redis: the request waits in the queue, marked sent in the outbox, and is forgotten.
    await queues.get('payments').pause()
    const orderId = (await s.order(c.token, [{ productId: p.id, quantity: 1 }])).body.id
    await allSent()
    await deleteRedisPrefix(s.prefix)
    const paid = await s.waitForOrder(c.token, orderId, 'PAID', undefined, 15_000)
    expect(paid.status).toBe('PAID')
    expect(await s.balance(c.token)).toBe(3800)
    const [asked] = await s.db.orders.sql`
      select count(*)::int as n from outbox where name = 'payment.requested' and payload->>'orderId' = ${orderId}`
    expect(asked!.n).toBeGreaterThanOrEqual(2)
    const [row] = await s.db.orders.sql`select asked_at from orders where id = ${orderId}`
    expect(row!.askedAt).toBeNull()
    // order.paid may be lost as well: the reconciler commits the reservation after the timeout.
    expect(await waitFor(async () => (await s.stock(p.id)).reserved === 0, 15_000)).toBe(true)
    expect(await s.stock(p.id)).toEqual({ stock: 4, reserved: 0 })
  }, 40_000)

  test('the answer is lost, then the timeout cancels and the void is lost too: the money comes back once', async () => {
    const c = await s.customer(5000)
    const p = await s.product({ price: 2000, stock: 5 })
    const ordersQueue = queues.get('orders')
    await ordersQueue.pause()
    const orderId = (await s.order(c.token, [{ productId: p.id, quantity: 1 }])).body.id
    // Payments takes the money; its answer waits in the paused orders queue and is forgotten.
    expect(await waitFor(async () => (await s.balance(c.token)) === 3000, 10_000)).toBe(true)
    await allSent()
    await deleteRedisPrefix(s.prefix)
    await ordersQueue.pause()
    // Nobody hears payments' answers (asked again, it answers into the paused queue): the order
    // times out, and the void reaches payments, which gives the money back.
    const cancelled = await s.waitForOrder(c.token, orderId, 'CANCELLED', undefined, 15_000)
    expect(cancelled.reason).toBe('timeout')
    expect(await waitFor(async () => (await s.balance(c.token)) === 5000, 10_000)).toBe(true)
    // ...and its answer (payment.refunded) is forgotten as well.
    await allSent()
    await deleteRedisPrefix(s.prefix)
    await ordersQueue.resume()
    // The void is asked for again until payments' answer arrives.
    const refunded = await s.waitForOrder(c.token, orderId, 'CANCELLED', 'refunded', 20_000)
    expect(refunded.refundStatus).toBe('refunded')
    expect(await waitFor(async () => (await unsettled([orderId])) === 0, 15_000)).toBe(true)
    expect(await s.balance(c.token)).toBe(5000)
    const [entries] = await s.db.payments.sql`
      select count(*) filter (where kind = 'payment')::int as payments, count(*) filter (where kind = 'refund')::int as refunds
      from ledger_entries where order_id = ${orderId}`
    expect(entries).toEqual({ payments: 1, refunds: 1 })
    expect(await waitFor(async () => (await s.stock(p.id)).reserved === 0, 15_000)).toBe(true)
    expect(await s.stock(p.id)).toEqual({ stock: 5, reserved: 0 })
  }, 60_000)

  test('the keys deleted twice around a burst of 60 orders: all final, every balance is deposits minus paid totals', async () => {
    const customers = await Promise.all(Array.from({ length: 10 }, () => s.customer(6000)))
    const products = await Promise.all([s.product({ price: 700, stock: 100 }), s.product({ price: 1100, stock: 100 })])
    // Every request waits in Redis, sent as far as the outbox knows, when the keys go...
    await queues.get('payments').pause()
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => {
        const c = customers[i % customers.length]!
        return s.order(c.token, [{ productId: products[i % 2]!.id, quantity: 1 + (i % 3) }])
      }),
    )
    expect(results.every((r) => r.status === 202)).toBe(true)
    const ids = results.map((r) => r.body.id as string)
    await allSent()
    await deleteRedisPrefix(s.prefix)
    // ...and again while the requests asked again, payments' answers and the stock events are in flight.
    await Bun.sleep(1100)
    await deleteRedisPrefix(s.prefix)
    expect(await waitFor(async () => (await unsettled(ids)) === 0, 45_000)).toBe(true)
    // Every one of them had to be asked for again.
    const [asked] = await s.db.orders.sql<{ n: number }[]>`
      select count(*)::int as n from (
        select payload->>'orderId' from outbox where name = 'payment.requested' and payload->>'orderId' = any(${ids})
        group by 1 having count(*) > 1) x`
    expect(asked!.n).toBe(60)

    const fates = await money(ids)
    expect(fates.length).toBe(60)
    // Paid orders were charged their total once; cancelled ones kept nothing.
    expect(fates.filter((o) => o.status === 'PAID' && !(o.paid === o.total && o.refunded === 0))).toEqual([])
    expect(fates.filter((o) => o.status === 'CANCELLED' && o.paid !== o.refunded)).toEqual([])
    for (const c of customers) {
      const paidTotal = fates.filter((o) => o.userId === c.id && o.status === 'PAID').reduce((sum, o) => sum + o.total, 0)
      expect(await s.balance(c.token)).toBe(6000 - paidTotal)
    }
    // No stock left reserved; what left the shelf is what paid orders bought.
    const sold = await s.db.orders.sql<{ productId: string; n: number }[]>`
      select i.product_id, sum(i.quantity)::int as n from order_items i join orders o on o.id = i.order_id
      where o.id = any(${ids}::uuid[]) and o.status = 'PAID' group by 1`
    for (const p of products) {
      expect(await waitFor(async () => (await s.stock(p.id)).reserved === 0, 15_000)).toBe(true)
      expect((await s.stock(p.id)).stock).toBe(100 - (sold.find((x) => x.productId === p.id)?.n ?? 0))
    }
  }, 90_000)
})

describe('a poisoned row', () => {
  test('an order whose total cannot be read is logged and skipped; the reconciler still times out the others', async () => {
    const db = s.db.orders.sql
    // A row written before totals were bounded (the bound is dropped to write one): 2^53 + 2 cannot be read as a number.
    await db`alter table orders drop constraint orders_total_bound`
    const poisonId = crypto.randomUUID()
    await db`
      insert into orders (id, user_id, status, total, currency, idempotency_key, created_at, asked_at)
      values (${poisonId}, ${crypto.randomUUID()}, 'NEW', 9007199254740994, 'EUR', 'poison', now() - interval '1 hour', now() - interval '1 hour')`
    try {
      const c = await s.customer(5000)
      const p = await s.product({ price: 900, stock: 3 })
      await queues.get('payments').pause()
      const orderId = (await s.order(c.token, [{ productId: p.id, quantity: 1 }])).body.id
      const cancelled = await s.waitForOrder(c.token, orderId, 'CANCELLED', undefined, 20_000)
      expect(cancelled.reason).toBe('timeout')
      await queues.get('payments').resume()
      // The poisoned order is still there, untouched, and nothing else was held back.
      const [poison] = await db`select status from orders where id = ${poisonId}`
      expect(poison!.status).toBe('NEW')
      expect(await waitFor(async () => (await unsettled([orderId])) === 0, 15_000)).toBe(true)
      expect(await s.balance(c.token)).toBe(5000)
    } finally {
      await queues.get('payments').resume()
      await db`delete from orders where id = ${poisonId}`
      await db`alter table orders add constraint orders_total_bound check (total <= 1000000000) not valid`
    }
  }, 40_000)
})

describe('two orders workers', () => {
  test('batches of outcomes for the same customers in opposite orders never deadlock (lanes by customer, in key order)', async () => {
    const { BATCH_JOB } = await import('@shop/shared/domain/contracts')
    const { capturingLog, deleteRedisPrefix: forget, uniqueName } = await import('@shop/shared/testing')
    const { createOrdersWorker } = await import('../services/orders/src/worker.ts')
    const { createCatalogClient } = await import('../services/orders/src/catalog-client.ts')
    const prefix = uniqueName('orddl')
    const { log, lines: warnings } = capturingLog()
    const catalog = createCatalogClient({ baseUrl: s.urls.catalog, internalToken: 'system-test-internal-token-0123456789' })
    const workers = [0, 1].map(() =>
      createOrdersWorker({ sql: s.db.orders.sql, schema: s.db.orders.schema, redisUrl: TEST_REDIS_URL, prefix, log, catalog, timeoutSeconds: 3600, reconcileIntervalMs: 3_600_000, concurrency: 4 }),
    )
    const ordersQueue = new Queues(connection, prefix).get('orders')
    try {
      for (const worker of workers) await worker.start()
      const db = s.db.orders.sql
      const users = Array.from({ length: 10 }, () => crypto.randomUUID())
      // Eight NEW orders per customer, written as the API writes them (with the customer's stream).
      const orders: { id: string; userId: string }[] = []
      for (const userId of users)
        for (let k = 0; k < 8; k++) {
          const id = crypto.randomUUID()
          await db`insert into orders (id, user_id, status, total, currency, idempotency_key) values (${id}, ${userId}, 'NEW', 100, 'EUR', ${id})`
          orders.push({ id, userId })
        }
      await db`insert into order_streams (user_id, last_seq) select unnest(${users}::uuid[]), 0 on conflict do nothing`
      // Each job pays one order of every customer; jobs alternate the customers' order.
      for (let k = 0; k < 8; k++) {
        const round = users.map((userId) => orders.filter((o) => o.userId === userId)[k]!)
        const listed = k % 2 ? [...round].reverse() : round
        const events = listed.map((o) => ({
          id: Bun.randomUUIDv7(),
          name: 'payment.succeeded',
          payload: { orderId: o.id, userId: o.userId, amount: 100, currency: 'EUR', paymentId: crypto.randomUUID(), ledgerEntryId: crypto.randomUUID() },
          occurredAt: new Date().toISOString(),
        }))
        await ordersQueue.add(BATCH_JOB, { events }, { jobId: `batch-odl-${events[0]!.id}` })
      }
      const paid = await waitFor(async () => {
        const [row] = await db<{ n: number }[]>`select count(*)::int as n from orders where id = any(${orders.map((o) => o.id)}::uuid[]) and status = 'PAID'`
        return row!.n === orders.length
      }, 30_000)
      expect(paid).toBe(true)
      expect(warnings.filter((w) => w.includes('deadlock'))).toEqual([])
      // Every customer's history is numbered without a gap.
      const [gaps] = await db<{ n: number }[]>`
        select count(*)::int as n from (select user_id, max(seq) - count(*) as gap from order_history where user_id = any(${users}::uuid[]) group by 1) x where gap <> 0`
      expect(gaps!.n).toBe(0)
    } finally {
      for (const worker of workers) await worker.stop()
      await ordersQueue.close()
      await forget(prefix)
    }
  }, 60_000)
})
