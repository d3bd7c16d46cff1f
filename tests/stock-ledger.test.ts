/**
 * The stock ledger through the whole system (real Postgres and Redis, every service): a paid
 * order is a `sale` movement per item, a paid order cancelled (or returned) puts its items back
 * once however often its event comes, supplies and adjustments race orders, and when Redis loses
 * both stock events of a paid-then-cancelled order the reconciler leaves no goods out. After each
 * test every product's stock is the sum of its movements and every wallet's ledger its balance.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import type { EventName, EventPayload } from '@shop/shared/domain/contracts'
import { Queues, producerConnection } from '@shop/shared/messaging/queue'
import { TEST_REDIS_URL, waitFor } from '@shop/shared/testing'
import { startSystem, type System } from './system.ts'

let s: System
let queues: Queues
let connection: ReturnType<typeof producerConnection>
beforeAll(async () => {
  s = await startSystem({ orderTimeoutSeconds: 3, reconcileIntervalMs: 500 })
  connection = producerConnection(TEST_REDIS_URL)
  queues = new Queues(connection, s.prefix)
}, 60_000)
afterEach(async () => {
  expect(await s.stockLedgerMismatches()).toEqual([])
  expect(await s.unbalancedWallets()).toEqual([])
})
afterAll(async () => {
  await queues.close()
  connection.disconnect()
  await s.stop()
}, 60_000)

async function movementsOf(productId: string): Promise<[string, number][]> {
  const rows = await s.db.catalog.sql<{ kind: string; delta: number }[]>`
    select kind, delta from stock_movements where product_id = ${productId} order by id`
  return rows.map((r) => [r.kind, r.delta])
}

async function reservationStatus(orderId: string): Promise<string | undefined> {
  const [row] = await s.db.catalog.sql<{ status: string }[]>`select status from reservations where order_id = ${orderId}`
  return row?.status
}

const settledAs = (orderId: string, status: string) => waitFor(async () => (await reservationStatus(orderId)) === status, 15_000)

/** Puts an event on the catalog's queue as a relay would (job id = message id, or a fresh one for a redelivery). */
async function deliver<N extends EventName>(name: N, payload: EventPayload<N>, id: string = Bun.randomUUIDv7()) {
  await queues.get('catalog').add(name, { id, name, payload, occurredAt: new Date().toISOString() }, { jobId: `${id}-${Math.random().toString(36).slice(2, 8)}` })
  return id
}

const inboxHas = (ids: string[]) =>
  waitFor(async () => (await s.db.catalog.sql`select count(*)::int as n from inbox where message_id = any(${ids}::uuid[])`)[0]!.n === ids.length, 15_000)

/** A customer's order of `items`, paid; answers its id. */
async function paidOrder(token: string, items: { productId: string; quantity: number }[]) {
  const order = (await s.order(token, items)).body
  expect((await s.waitForOrder(token, order.id, 'PAID')).status).toBe('PAID')
  expect(await settledAs(order.id, 'committed')).toBe(true)
  return order.id as string
}

const cancel = (token: string, orderId: string) => s.request(s.urls.orders, 'POST', `/api/orders/${orderId}/cancel`, { token, key: crypto.randomUUID() })

/**
 * Pauses the catalog's queue around `act` (which answers its orders' ids), waits until the outbox
 * has sent every event named `names` of those orders, then drops what reached the queue: what a
 * Redis restart without fsync does. Answers the ids.
 */
async function losingCatalogEvents(names: string[], act: () => Promise<string[]>): Promise<string[]> {
  const catalogQueue = queues.get('catalog')
  await catalogQueue.pause()
  try {
    const ids = await act()
    const sent = async () =>
      (await s.db.orders.sql`
        select count(*)::int as n from outbox
        where queue = 'catalog' and name = any(${names}) and payload->>'orderId' = any(${ids}) and sent_at is not null`)[0]!.n === ids.length * names.length
    expect(await waitFor(sent, 10_000)).toBe(true)
    await catalogQueue.drain(true)
    return ids
  } finally {
    await catalogQueue.resume()
  }
}

describe('the order saga writes the stock ledger', () => {
  test('a paid order is one sale movement per item; the stock left once', async () => {
    const c = await s.customer(10_000)
    const [a, b] = [await s.product({ price: 300, stock: 10 }), await s.product({ price: 200, stock: 4 })]
    await paidOrder(c.token, [{ productId: a.id, quantity: 3 }, { productId: b.id, quantity: 1 }])
    expect(await movementsOf(a.id)).toEqual([['initial', 10], ['sale', -3]])
    expect(await movementsOf(b.id)).toEqual([['initial', 4], ['sale', -1]])
    expect(await s.stock(a.id)).toEqual({ stock: 7, reserved: 0 })
  })

  test('cancel after payment: refunded, the items back in stock (restock movements), once even when the event comes again', async () => {
    const c = await s.customer(10_000)
    const p = await s.product({ price: 1000, stock: 6 })
    const orderId = await paidOrder(c.token, [{ productId: p.id, quantity: 2 }])
    expect(await s.stock(p.id)).toEqual({ stock: 4, reserved: 0 })
    expect((await cancel(c.token, orderId)).status).toBe(200)
    expect((await s.waitForOrder(c.token, orderId, 'CANCELLED', 'refunded')).refundStatus).toBe('refunded')
    expect(await settledAs(orderId, 'restocked')).toBe(true)
    expect(await s.stock(p.id)).toEqual({ stock: 6, reserved: 0 })
    expect(await movementsOf(p.id)).toEqual([['initial', 6], ['sale', -2], ['restock', 2]])
    // The same event redelivered (the relay's repeat), and a second event for the order: nothing more.
    const [sent] = await s.db.orders.sql<{ eventId: string }[]>`
      select event_id from outbox where name = 'order.cancelled' and payload->>'orderId' = ${orderId}`
    const again = [await deliver('order.cancelled', { orderId, userId: c.id, reason: 'user_cancelled' }, sent!.eventId)]
    again.push(await deliver('order.cancelled', { orderId, userId: c.id, reason: 'user_cancelled' }))
    expect(await inboxHas(again)).toBe(true)
    expect(await s.stock(p.id)).toEqual({ stock: 6, reserved: 0 })
    expect(await movementsOf(p.id)).toEqual([['initial', 6], ['sale', -2], ['restock', 2]])
    expect(await s.balance(c.token)).toBe(10_000)
  })

  test('order.returned of a delivered order restocks its items once; a return of an order never paid moves nothing', async () => {
    const c = await s.customer(10_000)
    const p = await s.product({ price: 500, stock: 5 })
    const orderId = await paidOrder(c.token, [{ productId: p.id, quantity: 3 }])
    // The carrier and tracking number a shipment takes (contract v2; ignored where not yet asked for).
    const steps = [['ship', { carrier: 'DHL', trackingNumber: 'LEDGER-1' }], ['deliver', undefined]] as const
    for (const [step, body] of steps)
      expect((await s.request(s.urls.orders, 'POST', `/api/orders/${orderId}/${step}`, { token: s.adminToken, key: crypto.randomUUID(), body })).status).toBe(200)
    // What orders publishes when an admin receives the return, twice with one id and once more.
    const first = await deliver('order.returned', { orderId, userId: c.id })
    const ids = [first, await deliver('order.returned', { orderId, userId: c.id }), await deliver('order.returned', { orderId, userId: c.id }, first)]
    expect(await inboxHas([...new Set(ids)])).toBe(true)
    expect(await reservationStatus(orderId)).toBe('restocked')
    expect(await s.stock(p.id)).toEqual({ stock: 5, reserved: 0 })
    expect(await movementsOf(p.id)).toEqual([['initial', 5], ['sale', -3], ['restock', 3]])

    const poor = await s.customer(100)
    const declined = (await s.order(poor.token, [{ productId: p.id, quantity: 1 }])).body
    expect((await s.waitForOrder(poor.token, declined.id, 'CANCELLED')).reason).toBe('insufficient_funds')
    expect(await settledAs(declined.id, 'released')).toBe(true)
    expect(await inboxHas([await deliver('order.returned', { orderId: declined.id, userId: poor.id })])).toBe(true)
    expect(await reservationStatus(declined.id)).toBe('released')
    expect(await s.stock(p.id)).toEqual({ stock: 5, reserved: 0 })
    expect(await movementsOf(p.id)).toEqual([['initial', 5], ['sale', -3], ['restock', 3]])
  })

  test('Redis loses both stock events of an order paid and then cancelled: the reconciler releases it, no goods stay out', async () => {
    const c = await s.customer(10_000)
    const p = await s.product({ price: 700, stock: 5 })
    const orderId = (await losingCatalogEvents(['order.paid', 'order.cancelled'], async () => {
      const id = (await s.order(c.token, [{ productId: p.id, quantity: 2 }])).body.id as string
      await s.waitForOrder(c.token, id, 'PAID')
      expect((await cancel(c.token, id)).status).toBe(200)
      await s.waitForOrder(c.token, id, 'CANCELLED', 'refunded')
      return [id]
    }))[0]!
    expect(await reservationStatus(orderId)).toBe('reserved')
    expect(await settledAs(orderId, 'released')).toBe(true)
    expect(await s.stock(p.id)).toEqual({ stock: 5, reserved: 0 })
    expect(await movementsOf(p.id)).toEqual([['initial', 5]])
  }, 30_000)
})

describe('a batch of payments', () => {
  test("a batch job's order.paid events commit in one statement: each reservation once, a sale per item; repeats and unknown orders go to the single handler", async () => {
    const c = await s.customer(100_000)
    const [p1, p2] = [await s.product({ price: 300, stock: 20 }), await s.product({ price: 500, stock: 20 })]
    // What the relay sends is forgotten; the batch below replaces it.
    const ids = await losingCatalogEvents(['order.paid'], async () => {
      const made: string[] = []
      for (const items of [[{ productId: p1.id, quantity: 1 }], [{ productId: p1.id, quantity: 2 }, { productId: p2.id, quantity: 1 }], [{ productId: p2.id, quantity: 3 }]]) {
        const order = (await s.order(c.token, items)).body
        await s.waitForOrder(c.token, order.id, 'PAID')
        made.push(order.id)
      }
      return made
    })
    expect(await s.stock(p1.id)).toEqual({ stock: 20, reserved: 3 })
    const envelope = (orderId: string) => ({ id: Bun.randomUUIDv7(), name: 'order.paid' as const, payload: { orderId, userId: c.id }, occurredAt: new Date().toISOString() })
    const events = [...ids.map(envelope), envelope(ids[0]!), envelope(crypto.randomUUID())]
    await queues.get('catalog').add('batch', { events }, { jobId: `test-batch-${Bun.randomUUIDv7()}` })
    expect(await inboxHas(events.map((e) => e.id))).toBe(true)
    for (const id of ids) expect(await reservationStatus(id)).toBe('committed')
    expect(await s.stock(p1.id)).toEqual({ stock: 17, reserved: 0 })
    expect(await s.stock(p2.id)).toEqual({ stock: 16, reserved: 0 })
    const m1 = await movementsOf(p1.id)
    expect(m1[0]).toEqual(['initial', 20])
    expect(m1.slice(1).map(([k, d]) => `${k}${d}`).sort()).toEqual(['sale-1', 'sale-2'])
    expect((await movementsOf(p2.id)).filter(([k]) => k === 'sale').map(([, d]) => d).sort()).toEqual([-1, -3])
    // One transaction for the batch (not the one-by-one fallback after a failed batch): every sale
    // of these orders has the same time.
    const times = await s.db.catalog.sql<{ n: number }[]>`
      select count(distinct created_at)::int as n from stock_movements where kind = 'sale' and order_id = any(${ids}::uuid[])`
    expect(times[0]!.n).toBe(1)
  }, 30_000)
})

describe('a lost give-back', () => {
  test('Redis loses the order.cancelled of a paid order whose sale was committed: the reconciler has the catalog restock it, once', async () => {
    const c = await s.customer(10_000)
    const p = await s.product({ price: 700, stock: 5 })
    const orderId = await paidOrder(c.token, [{ productId: p.id, quantity: 2 }])
    await losingCatalogEvents(['order.cancelled'], async () => {
      expect((await cancel(c.token, orderId)).status).toBe(200)
      await s.waitForOrder(c.token, orderId, 'CANCELLED', 'refunded')
      return [orderId]
    })
    expect(await reservationStatus(orderId)).toBe('committed')
    expect(await settledAs(orderId, 'restocked')).toBe(true)
    expect(await s.stock(p.id)).toEqual({ stock: 5, reserved: 0 })
    expect(await movementsOf(p.id)).toEqual([['initial', 5], ['sale', -2], ['restock', 2]])
    const confirmed = async () => (await s.db.orders.sql`select restock_status from orders where id = ${orderId}`)[0]!.restockStatus === 'confirmed'
    expect(await waitFor(confirmed, 10_000)).toBe(true)
  }, 30_000)

  test('Redis loses the order.returned of a received return: the reconciler has the catalog restock it, once', async () => {
    const c = await s.customer(10_000)
    const p = await s.product({ price: 700, stock: 5 })
    const orderId = await paidOrder(c.token, [{ productId: p.id, quantity: 1 }])
    const admin = (path: string, body?: unknown) => s.request(s.urls.orders, 'POST', `/api/orders/${orderId}${path}`, { token: s.adminToken, body, key: crypto.randomUUID() })
    expect((await admin('/ship', { carrier: 'UPS', trackingNumber: '1Z999AA10123456784' })).status).toBe(200)
    expect((await admin('/deliver')).status).toBe(200)
    expect((await s.request(s.urls.orders, 'POST', `/api/orders/${orderId}/return`, { token: c.token, body: { reason: 'broken' }, key: crypto.randomUUID() })).status).toBe(200)
    await losingCatalogEvents(['order.returned'], async () => {
      expect((await admin('/return/receive')).status).toBe(200)
      await s.waitForOrder(c.token, orderId, 'RETURNED', 'refunded')
      return [orderId]
    })
    expect(await settledAs(orderId, 'restocked')).toBe(true)
    expect(await s.stock(p.id)).toEqual({ stock: 5, reserved: 0 })
    expect(await movementsOf(p.id)).toEqual([['initial', 5], ['sale', -1], ['restock', 1]])
    expect(await s.balance(c.token)).toBe(10_000)
  }, 30_000)
})

describe('supplies and adjustments', () => {
  test('racing orders and cancellations on the same products: stock is the initial plus supplies and adjustments minus what stayed sold', async () => {
    const c = await s.customer(1_000_000)
    const products = [await s.product({ price: 100, stock: 20 }), await s.product({ price: 150, stock: 20 })]
    const ids = products.map((p) => p.id)
    const admin = (path: string, body: unknown) => s.request(s.urls.catalog, 'POST', `/api/inventory/${path}`, { token: s.adminToken, body, key: crypto.randomUUID() })
    const orders = Array.from({ length: 12 }, async (_, i) => {
      const res = await s.order(c.token, [{ productId: ids[i % 2]!, quantity: 2 }, { productId: ids[(i + 1) % 2]!, quantity: 1 }])
      if (res.status !== 202) return
      if (i % 3 === 0 && (await s.waitForFinal(c.token, res.body.id)).status === 'PAID') await cancel(c.token, res.body.id)
    })
    const supplies = Array.from({ length: 6 }, (_, i) =>
      admin('supplies', { reference: `PO-${i}`, items: [...ids].reverse().map((productId) => ({ productId, quantity: 5 })) }).then((r) => r.status),
    )
    // An adjustment may meet stock that is reserved (409 insufficient_stock): only those booked count.
    const adjusted = [0, 0]
    const adjustments = Array.from({ length: 6 }, async (_, i) => {
      const delta = i % 2 ? -1 : 2
      const res = await admin('adjustments', { productId: ids[i % 2]!, delta, reason: 'stocktake' })
      if (res.status === 201) adjusted[i % 2]! += delta
      else expect(res.body.code).toBe('insufficient_stock')
    })
    const [, supplied] = await Promise.all([Promise.all(orders), Promise.all(supplies), Promise.all(adjustments)])
    expect(supplied).toEqual(Array(6).fill(201))
    const settled = await waitFor(async () => {
      const [row] = await s.db.orders.sql`select count(*)::int as n from orders where user_id = ${c.id} and (status = 'NEW' or refund_status = 'requested')`
      const [held] = await s.db.catalog.sql`select count(*)::int as n from reservations where status in ('reserved') and order_id in (select order_id from reservation_items where product_id = any(${ids}::uuid[]))`
      return row!.n === 0 && held!.n === 0
    }, 20_000)
    expect(settled).toBe(true)
    // Cancelled paid orders' restocks may still be travelling: wait until no order of this customer is CANCELLED and committed.
    const [kept] = await s.db.orders.sql<{ ids: string[] }[]>`select coalesce(array_agg(id), '{}') as ids from orders where user_id = ${c.id} and status = 'PAID'`
    expect(
      await waitFor(async () => {
        const [row] = await s.db.catalog.sql`
          select count(*)::int as n from reservations r where r.status = 'committed' and not r.order_id = any(${kept!.ids}::uuid[])
            and r.order_id in (select order_id from reservation_items where product_id = any(${ids}::uuid[]))`
        return row!.n === 0
      }, 20_000),
    ).toBe(true)
    for (const [index, id] of ids.entries()) {
      const [sold] = await s.db.catalog.sql<{ n: number }[]>`
        select coalesce(sum(i.quantity), 0)::int as n from reservation_items i join reservations r using (order_id)
        where i.product_id = ${id} and r.status = 'committed'`
      expect({ id, ...(await s.stock(id)) }).toEqual({ id, stock: 20 + 6 * 5 + adjusted[index]! - sold!.n, reserved: 0 })
    }
  }, 60_000)
})
