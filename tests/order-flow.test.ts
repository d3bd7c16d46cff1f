/**
 * The order saga end to end on the real Postgres and Redis, with users, catalog, payments and
 * orders running and talking over HTTP and BullMQ. After each test every wallet's ledger sums
 * to its balance and every product's stock movements to its stock.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { Queues, producerConnection } from '@shop/shared/messaging/queue'
import { TEST_REDIS_URL, waitFor } from '@shop/shared/testing'
import { openSse } from './sse.ts'
import { startSystem, type System } from './system.ts'

let s: System
beforeAll(async () => {
  s = await startSystem({ orderTimeoutSeconds: 3, reconcileIntervalMs: 500, heartbeatMs: 1000 })
}, 60_000)
afterEach(async () => {
  expect(await s.unbalancedWallets()).toEqual([])
  expect(await s.stockLedgerMismatches()).toEqual([])
})
afterAll(() => s.stop(), 60_000)

describe('placing orders', () => {
  test('a paid order: 202 NEW, then PAID; the wallet is debited once and the stock committed', async () => {
    const c = await s.customer(10_000)
    const p = await s.product({ price: 1250, stock: 10 })
    const res = await s.order(c.token, [{ productId: p.id, quantity: 2 }])
    expect(res.status).toBe(202)
    expect(res.body).toMatchObject({ status: 'NEW', total: 2500, currency: 'EUR', userId: c.id })
    expect(res.body.items).toEqual([{ productId: p.id, name: expect.any(String), quantity: 2, unitPrice: 1250 }])
    const paid = await s.waitForOrder(c.token, res.body.id, 'PAID')
    expect(paid.status).toBe('PAID')
    expect(paid.history.map((h: { event: string }) => h.event)).toEqual(['created', 'paid'])
    expect(await s.balance(c.token)).toBe(7500)
    await Bun.sleep(300)
    expect(await s.stock(p.id)).toEqual({ stock: 8, reserved: 0 })
    const [debits] = await s.db.payments.sql`select count(*)::int as n from ledger_entries where order_id = ${res.body.id}`
    expect(debits!.n).toBe(1)
  })

  test('the answer to POST is the order as written: equal to a fresh read, one history entry, one payment.requested', async () => {
    const c = await s.customer(10_000)
    const [a, b] = [await s.product({ price: 300, stock: 5 }), await s.product({ price: 450, stock: 5 })]
    const res = await s.order(c.token, [{ productId: b.id, quantity: 1 }, { productId: a.id, quantity: 2 }])
    expect(res.status).toBe(202)
    const [read] = await s.db.orders.sql`select status from orders where id = ${res.body.id}`
    // Read it back before the payment moves it on, through the API, the way the client would.
    if (read!.status === 'NEW') {
      const fresh = await s.request(s.urls.orders, 'GET', `/api/orders/${res.body.id}`, { token: c.token })
      if (fresh.body.status === 'NEW') expect(fresh.body).toEqual(res.body)
    }
    expect(res.body.total).toBe(1050)
    expect(res.body.history).toEqual([{ seq: expect.any(Number), event: 'created', status: 'NEW', reason: null, shipment: null, at: expect.any(String) }])
    const [outbox] = await s.db.orders.sql`
      select count(*)::int as n from outbox where name = 'payment.requested' and payload->>'orderId' = ${res.body.id}`
    expect(outbox!.n).toBe(1)
    const [intents] = await s.db.orders.sql`select count(*)::int as n from order_intents where order_id = ${res.body.id}`
    expect(intents!.n).toBe(0)
    const paid = await s.waitForOrder(c.token, res.body.id, 'PAID')
    expect(paid.history[0]).toEqual(res.body.history[0])
    expect(paid.items).toEqual(res.body.items)
    expect({ ...paid, status: 'NEW', history: paid.history.slice(0, 1), updatedAt: res.body.updatedAt }).toEqual(res.body)
  })

  test('prices come from the catalog: a price in the body is refused, the total is fixed at creation', async () => {
    const c = await s.customer(10_000)
    const p = await s.product({ price: 999, stock: 5 })
    const sneaky = await s.request(s.urls.orders, 'POST', '/api/orders', {
      token: c.token,
      key: crypto.randomUUID(),
      body: { items: [{ productId: p.id, quantity: 1, unitPrice: 1 }] },
    })
    // Unknown fields are dropped: the order is priced by the catalog.
    expect(sneaky.body.total).toBe(999)
    await s.request(s.urls.catalog, 'PATCH', `/api/products/${p.id}`, { token: s.adminToken, body: { price: 5000 } })
    const order = await s.orderStatus(c.token, sneaky.body.id)
    expect(order.total).toBe(999)
  })

  test.each([
    ['insufficient_funds', 100],
    ['no_wallet', undefined],
  ])('%s: CANCELLED with the reason, stock released, nothing debited', async (reason, balance) => {
    const c = await s.customer(balance)
    const p = await s.product({ price: 5000, stock: 3 })
    const res = await s.order(c.token, [{ productId: p.id, quantity: 1 }])
    expect(res.status).toBe(202)
    const order = await s.waitForOrder(c.token, res.body.id, 'CANCELLED')
    expect(order.reason).toBe(reason)
    await Bun.sleep(300)
    expect(await s.stock(p.id)).toEqual({ stock: 3, reserved: 0 })
    if (balance !== undefined) expect(await s.balance(c.token)).toBe(balance)
  })

  test('50 concurrent orders on a wallet that affords 10: exactly 10 paid, balance 0', async () => {
    const c = await s.customer(10 * 1000)
    const p = await s.product({ price: 1000, stock: 100 })
    const results = await Promise.all(Array.from({ length: 50 }, () => s.order(c.token, [{ productId: p.id, quantity: 1 }])))
    expect(results.every((r) => r.status === 202)).toBe(true)
    const finals = await Promise.all(results.map((r) => s.waitForFinal(c.token, r.body.id)))
    expect(finals.filter((o) => o.status === 'PAID').length).toBe(10)
    expect(finals.filter((o) => o.status === 'CANCELLED' && o.reason === 'insufficient_funds').length).toBe(40)
    expect(await s.balance(c.token)).toBe(0)
    await Bun.sleep(500)
    expect(await s.stock(p.id)).toEqual({ stock: 90, reserved: 0 })
  }, 60_000)

  test('the same Idempotency-Key twice makes one order (also concurrently)', async () => {
    const c = await s.customer(10_000)
    const p = await s.product({ price: 100, stock: 10 })
    const key = crypto.randomUUID()
    const first = await s.order(c.token, [{ productId: p.id, quantity: 1 }], key)
    const second = await s.order(c.token, [{ productId: p.id, quantity: 1 }], key)
    expect(second.status).toBe(202)
    expect(second.headers.get('idempotent-replayed')).toBe('true')
    expect(second.body.id).toBe(first.body.id)
    // The replay is the first answer as it was (recorded by the order's own statement), not the order now.
    expect(second.body).toEqual(first.body)
    const key2 = crypto.randomUUID()
    const racing = await Promise.all(Array.from({ length: 5 }, () => s.order(c.token, [{ productId: p.id, quantity: 1 }], key2)))
    expect(racing.every((r) => r.status === 202 || r.status === 409)).toBe(true)
    const list = await s.request(s.urls.orders, 'GET', '/api/orders?limit=100', { token: c.token })
    expect(list.body.items.length).toBe(2)
    for (const o of list.body.items) expect((await s.waitForOrder(c.token, o.id, 'PAID')).status).toBe('PAID')
    expect(await s.balance(c.token)).toBe(10_000 - 200)
  })

  test('an order whose write failed after its reservation succeeds when retried with the same key', async () => {
    const c = await s.customer(10_000)
    const p = await s.product({ price: 700, stock: 5 })
    const db = s.db.orders.sql
    // Make the next order insert fail once, as a cut connection or a crash would.
    await db`create table fail_next_order (armed boolean)`
    await db`insert into fail_next_order values (true)`
    await db.unsafe(`
      create function fail_next_order() returns trigger language plpgsql as $$
      begin
        if exists (select 1 from fail_next_order) then raise exception 'injected failure'; end if;
        return new;
      end $$;
      create trigger fail_next_order before insert on orders for each row execute function fail_next_order();`)
    try {
      const key = crypto.randomUUID()
      const failed = await s.order(c.token, [{ productId: p.id, quantity: 2 }], key)
      expect(failed.status).toBe(500)
      expect(await s.stock(p.id)).toEqual({ stock: 5, reserved: 2 }) // kept for the retry
      await db`delete from fail_next_order`
      const retried = await s.order(c.token, [{ productId: p.id, quantity: 2 }], key)
      expect(retried.status).toBe(202)
      expect((await s.waitForOrder(c.token, retried.body.id, 'PAID')).status).toBe('PAID')
      await Bun.sleep(300)
      expect(await s.stock(p.id)).toEqual({ stock: 3, reserved: 0 })
      expect(await s.balance(c.token)).toBe(10_000 - 1400)
    } finally {
      await db.unsafe('drop trigger if exists fail_next_order on orders; drop function if exists fail_next_order(); drop table if exists fail_next_order')
    }
  })

  test('the same key with other items is a 422; no key is a 400', async () => {
    const c = await s.customer(10_000)
    const p = await s.product({ price: 100, stock: 10 })
    const key = crypto.randomUUID()
    await s.order(c.token, [{ productId: p.id, quantity: 1 }], key)
    expect((await s.order(c.token, [{ productId: p.id, quantity: 2 }], key)).status).toBe(422)
    const noKey = await s.request(s.urls.orders, 'POST', '/api/orders', { token: c.token, body: { items: [{ productId: p.id, quantity: 1 }] } })
    expect(noKey.status).toBe(400)
  })

  test('money is bounded: a price over 100,000,000 is a 422, an order over 1,000,000,000 is refused before anything is reserved', async () => {
    for (const price of [100_000_001, 2 ** 53, 2 ** 53 + 1, 1e20]) {
      const res = await s.request(s.urls.catalog, 'POST', '/api/products', {
        token: s.adminToken,
        body: { name: 'Too dear', category: 'Test', currency: 'EUR', price, stock: 1 },
      })
      expect(res.status).toBe(422)
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('price')
    }
    const c = await s.customer(10_000)
    const p = await s.product({ price: 100_000_000, stock: 1000 })
    const res = await s.order(c.token, [{ productId: p.id, quantity: 11 }])
    expect(res.status).toBe(422)
    expect(res.body.code).toBe('order_total_too_large')
    expect(await s.stock(p.id)).toEqual({ stock: 1000, reserved: 0 })
    expect((await s.request(s.urls.orders, 'GET', '/api/orders', { token: c.token })).body.items).toEqual([])
    // At the bound exactly, the order is taken (and declined: the wallet cannot pay it).
    const atBound = await s.order(c.token, [{ productId: p.id, quantity: 10 }])
    expect(atBound.status).toBe(202)
    expect(atBound.body.total).toBe(1_000_000_000)
    expect((await s.waitForFinal(c.token, atBound.body.id)).reason).toBe('insufficient_funds')
  })

  test('out of stock is a 409 naming the product, and no order is made', async () => {
    const c = await s.customer(10_000)
    const p = await s.product({ price: 100, stock: 1, name: 'Last Lamp' })
    const res = await s.order(c.token, [{ productId: p.id, quantity: 2 }])
    expect(res.status).toBe(409)
    expect(res.body.code).toBe('out_of_stock')
    expect(res.body.detail).toContain('Last Lamp')
    const list = await s.request(s.urls.orders, 'GET', '/api/orders', { token: c.token })
    expect(list.body.items).toEqual([])
  })

  test.each([
    [{ items: [] }, 'items'],
    [{ items: [{ productId: 'x', quantity: 1 }] }, 'items.0.productId'],
    [{ items: [{ productId: '00000000-0000-4000-8000-000000000000', quantity: 0 }] }, 'items.0.quantity'],
    [{ items: [{ productId: '00000000-0000-4000-8000-000000000000', quantity: '1' }] }, 'items.0.quantity'],
  ])('bad body %j is a 422 naming %s', async (body, field) => {
    const c = await s.customer()
    const res = await s.request(s.urls.orders, 'POST', '/api/orders', { token: c.token, body, key: crypto.randomUUID() })
    expect(res.status).toBe(422)
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field)
  })
})

describe('reading orders', () => {
  test("another user's order is a 404; an admin may read it", async () => {
    const a = await s.customer(10_000)
    const b = await s.customer(10_000)
    const p = await s.product({ price: 100, stock: 10 })
    const order = (await s.order(a.token, [{ productId: p.id, quantity: 1 }])).body
    const res = await s.request(s.urls.orders, 'GET', `/api/orders/${order.id}`, { token: b.token })
    expect(res.status).toBe(404)
    const cancel = await s.request(s.urls.orders, 'POST', `/api/orders/${order.id}/cancel`, { token: b.token, key: crypto.randomUUID() })
    expect(cancel.status).toBe(404)
    expect((await s.request(s.urls.orders, 'GET', `/api/orders/${order.id}`, { token: s.adminToken })).status).toBe(200)
  })

  test('the list pages newest first and filters by status', async () => {
    const c = await s.customer(1000)
    const p = await s.product({ price: 400, stock: 10 })
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push((await s.order(c.token, [{ productId: p.id, quantity: 1 }])).body.id)
    for (const id of ids) await s.waitForFinal(c.token, id)
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page: any = await s.request(s.urls.orders, 'GET', `/api/orders?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: c.token })
      seen.push(...page.body.items.map((o: { id: string }) => o.id))
      cursor = page.body.nextCursor
    } while (cursor)
    expect(seen).toEqual([...ids].reverse())
    const paid = await s.request(s.urls.orders, 'GET', '/api/orders?status=PAID', { token: c.token })
    expect(paid.body.items.length).toBe(2) // 1000 affords two orders of 400
    expect((await s.request(s.urls.orders, 'GET', '/api/orders?status=LOST', { token: c.token })).status).toBe(422)
  })
})

describe('cancellation and refunds', () => {
  test('cancel of a paid order refunds exactly once, even when requested twice', async () => {
    const c = await s.customer(5000)
    const p = await s.product({ price: 3000, stock: 5 })
    const order = (await s.order(c.token, [{ productId: p.id, quantity: 1 }])).body
    await s.waitForOrder(c.token, order.id, 'PAID')
    expect(await s.balance(c.token)).toBe(2000)
    const [a, b] = await Promise.all([
      s.request(s.urls.orders, 'POST', `/api/orders/${order.id}/cancel`, { token: c.token, key: crypto.randomUUID() }),
      s.request(s.urls.orders, 'POST', `/api/orders/${order.id}/cancel`, { token: c.token, key: crypto.randomUUID() }),
    ])
    expect([a.status, b.status].sort()).toEqual([200, 409])
    const refunded = await s.waitForOrder(c.token, order.id, 'CANCELLED', 'refunded')
    expect(refunded.refundStatus).toBe('refunded')
    expect(refunded.history.map((h: { event: string }) => h.event)).toEqual(['created', 'paid', 'cancelled', 'refund_requested', 'refunded'])
    expect(await s.balance(c.token)).toBe(5000)
    const [refunds] = await s.db.payments.sql`select count(*)::int as n from ledger_entries where order_id = ${order.id} and kind = 'refund'`
    expect(refunds!.n).toBe(1)
  })

  test('cancel of a NEW order releases its stock; a payment that still arrives is refunded', async () => {
    const c = await s.customer(5000)
    const p = await s.product({ price: 1000, stock: 5 })
    const order = (await s.order(c.token, [{ productId: p.id, quantity: 2 }])).body
    const cancel = await s.request(s.urls.orders, 'POST', `/api/orders/${order.id}/cancel`, { token: c.token, key: crypto.randomUUID() })
    // Either the cancel won (200) or the payment did first (then the cancel refunds it).
    expect(cancel.status).toBe(200)
    const final = await s.waitForOrder(c.token, order.id, 'CANCELLED')
    expect(final.reason).toBe('user_cancelled')
    // Whatever the race, the money ends where it started once the refund (if any) is through.
    const deadline = Date.now() + 15_000
    while ((await s.balance(c.token)) !== 5000 && Date.now() < deadline) await Bun.sleep(50)
    expect(await s.balance(c.token)).toBe(5000)
  })

  test('shipped orders cannot be cancelled; fulfilment is admin only', async () => {
    const c = await s.customer(5000)
    const p = await s.product({ price: 1000, stock: 5 })
    const order = (await s.order(c.token, [{ productId: p.id, quantity: 1 }])).body
    await s.waitForOrder(c.token, order.id, 'PAID')
    const parcel = { carrier: 'DHL', trackingNumber: 'JD014600006281234567' }
    expect((await s.request(s.urls.orders, 'POST', `/api/orders/${order.id}/ship`, { token: c.token, body: parcel, key: crypto.randomUUID() })).status).toBe(403)
    const shipped = await s.request(s.urls.orders, 'POST', `/api/orders/${order.id}/ship`, { token: s.adminToken, body: parcel, key: crypto.randomUUID() })
    expect(shipped.body.status).toBe('SHIPPED')
    const cancel = await s.request(s.urls.orders, 'POST', `/api/orders/${order.id}/cancel`, { token: c.token, key: crypto.randomUUID() })
    expect(cancel.status).toBe(409)
    expect(cancel.body.code).toBe('order_state_conflict')
    const delivered = await s.request(s.urls.orders, 'POST', `/api/orders/${order.id}/deliver`, { token: s.adminToken, key: crypto.randomUUID() })
    expect(delivered.body.status).toBe('DELIVERED')
    expect(delivered.body.history.map((h: { event: string }) => h.event)).toEqual(['created', 'paid', 'shipped', 'delivered'])
  })
})

describe('the timeout reconciler', () => {
  test('an order stuck NEW is cancelled (timeout), its stock released and its payment voided: never charged, or charged and refunded once', async () => {
    const c = await s.customer(5000)
    const p = await s.product({ price: 700, stock: 4 })
    // The payments queue is paused, so the order stays NEW past its 3 s timeout.
    const connection = producerConnection(TEST_REDIS_URL)
    const queues = new Queues(connection, s.prefix)
    const payments = queues.get('payments')
    await payments.pause()
    let orderId = ''
    try {
      orderId = (await s.order(c.token, [{ productId: p.id, quantity: 1 }])).body.id
      const cancelled = await s.waitForOrder(c.token, orderId, 'CANCELLED', undefined, 15_000)
      expect(cancelled.reason).toBe('timeout')
    } finally {
      await payments.resume()
      await queues.close()
      connection.disconnect()
    }
    // payment.requested and void.requested now reach payments in either order: the payment
    // first (debited, then refunded), or the void first (the request is refused). Either way
    // no money is kept, and the order ends awaiting nothing.
    const settled = await waitFor(async () => {
      const [row] = await s.db.orders.sql`select asked_at, void_status, refund_status from orders where id = ${orderId}`
      return row!.askedAt === null ? row : undefined
    }, 20_000)
    expect(settled).toMatchObject({ voidStatus: 'confirmed' })
    const [ledger] = await s.db.payments.sql<{ payments: number; refunds: number }[]>`
      select count(*) filter (where kind = 'payment')::int as payments, count(*) filter (where kind = 'refund')::int as refunds
      from ledger_entries where order_id = ${orderId}`
    const order = await s.orderStatus(c.token, orderId)
    if (order.refundStatus === 'refunded') expect(ledger).toEqual({ payments: 1, refunds: 1 })
    else expect({ refundStatus: order.refundStatus, ...ledger }).toEqual({ refundStatus: null, payments: 0, refunds: 0 })
    expect(await s.balance(c.token)).toBe(5000)
    await Bun.sleep(300)
    expect(await s.stock(p.id)).toEqual({ stock: 4, reserved: 0 })
  }, 40_000)

  test('an intent left by a crash between reservation and order write is released', async () => {
    const p = await s.product({ price: 100, stock: 3 })
    const orderId = crypto.randomUUID()
    // A fresh intent first: the reconciler must not see it stale before the reservation exists.
    await s.db.orders.sql`insert into order_intents (order_id, user_id) values (${orderId}, ${crypto.randomUUID()})`
    const reserve = await fetch(`${s.urls.catalog}/internal/reservations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-service-token': 'system-test-internal-token-0123456789' },
      body: JSON.stringify({ orderId, items: [{ productId: p.id, quantity: 2 }] }),
    })
    expect(reserve.status).toBe(201)
    expect(await s.stock(p.id)).toEqual({ stock: 3, reserved: 2 })
    await s.db.orders.sql`update order_intents set created_at = now() - interval '1 hour' where order_id = ${orderId}`
    const deadline = Date.now() + 10_000
    while ((await s.stock(p.id)).reserved !== 0 && Date.now() < deadline) await Bun.sleep(100)
    expect(await s.stock(p.id)).toEqual({ stock: 3, reserved: 0 })
    expect((await s.db.orders.sql`select 1 from order_intents where order_id = ${orderId}`).length).toBe(0)
  })
})

describe('the live stream', () => {
  test('delivers PAID as it happens and resumes from Last-Event-ID', async () => {
    const c = await s.customer(5000)
    const p = await s.product({ price: 1000, stock: 5 })
    const auth = { authorization: `Bearer ${c.token}` }
    const stream = await openSse(`${s.urls.orders}/api/orders/events`, auth)
    try {
      expect(stream.status).toBe(200)
      expect(stream.contentType).toContain('text/event-stream')
      const order = (await s.order(c.token, [{ productId: p.id, quantity: 1 }])).body
      const created = await stream.next()
      expect(created.event).toBe('order')
      expect(JSON.parse(created.data)).toMatchObject({ orderId: order.id, event: 'created', status: 'NEW' })
      const paid = await stream.next()
      expect(JSON.parse(paid.data)).toMatchObject({ orderId: order.id, event: 'paid', status: 'PAID' })
      expect(Number(paid.id)).toBe(Number(created.id) + 1)
      // Live events come from the NOTIFY payload, resumed ones from the history table: the same bytes.
      const replay = await openSse(`${s.urls.orders}/api/orders/events`, { ...auth, 'last-event-id': String(Number(created.id) - 1) })
      try {
        expect([await replay.next(), await replay.next()]).toEqual([created, paid])
      } finally {
        replay.close()
      }

      stream.close()
      // While disconnected, the order is cancelled and refunded.
      await s.request(s.urls.orders, 'POST', `/api/orders/${order.id}/cancel`, { token: c.token, key: crypto.randomUUID() })
      await s.waitForOrder(c.token, order.id, 'CANCELLED', 'refunded')
      const resumed = await openSse(`${s.urls.orders}/api/orders/events`, { ...auth, 'last-event-id': paid.id! })
      try {
        const missed = [await resumed.next(), await resumed.next(), await resumed.next()].map((e) => JSON.parse(e.data).event)
        expect(missed).toEqual(['cancelled', 'refund_requested', 'refunded'])
      } finally {
        resumed.close()
      }
    } finally {
      stream.close()
    }
  })

  test("a stream carries only the caller's orders", async () => {
    const a = await s.customer(5000)
    const b = await s.customer(5000)
    const p = await s.product({ price: 100, stock: 5 })
    const stream = await openSse(`${s.urls.orders}/api/orders/events`, { authorization: `Bearer ${a.token}` })
    try {
      await s.order(b.token, [{ productId: p.id, quantity: 1 }])
      const mine = (await s.order(a.token, [{ productId: p.id, quantity: 1 }])).body
      const first = JSON.parse((await stream.next()).data)
      expect(first.orderId).toBe(mine.id)
    } finally {
      stream.close()
    }
  })

  test('the stream ends when the token that opened it expires; a fresh token resumes with Last-Event-ID', async () => {
    const c = await s.customer(5000)
    const p = await s.product({ price: 500, stock: 5 })
    const short = await s.shortLivedToken(c.id, 3)
    const stream = await openSse(`${s.urls.orders}/api/orders/events`, { authorization: `Bearer ${short}` })
    try {
      const order = (await s.order(c.token, [{ productId: p.id, quantity: 1 }])).body
      const created = await stream.next()
      expect(JSON.parse(created.data)).toMatchObject({ orderId: order.id, event: 'created' })
      const paid = await stream.next()
      const end = await stream.next(6000)
      expect(end).toEqual({ event: 'end', data: '{"reason":"token_expired"}' })
      await expect(stream.next(2000)).rejects.toThrow('SSE stream ended')
      // Meanwhile the order is cancelled; the client comes back with a fresh token and the last id it saw.
      await s.request(s.urls.orders, 'POST', `/api/orders/${order.id}/cancel`, { token: c.token, key: crypto.randomUUID() })
      const resumed = await openSse(`${s.urls.orders}/api/orders/events`, { authorization: `Bearer ${c.token}`, 'last-event-id': paid.id! })
      try {
        expect(JSON.parse((await resumed.next()).data)).toMatchObject({ orderId: order.id, event: 'cancelled' })
      } finally {
        resumed.close()
      }
    } finally {
      stream.close()
    }
  }, 20_000)

  test("a Last-Event-ID ahead of the user's stream (another user's id) replays from the start", async () => {
    const c = await s.customer(5000)
    const p = await s.product({ price: 500, stock: 5 })
    const order = (await s.order(c.token, [{ productId: p.id, quantity: 1 }])).body
    await s.waitForOrder(c.token, order.id, 'PAID')
    const stream = await openSse(`${s.urls.orders}/api/orders/events`, { authorization: `Bearer ${c.token}`, 'last-event-id': '999999' })
    try {
      const events = [await stream.next(), await stream.next()].map((e) => JSON.parse(e.data))
      expect(events.map((e) => [e.seq, e.event])).toEqual([
        [1, 'created'],
        [2, 'paid'],
      ])
    } finally {
      stream.close()
    }
  })

  test('without a token: 401; a bad Last-Event-ID: 422', async () => {
    expect((await fetch(`${s.urls.orders}/api/orders/events`)).status).toBe(401)
    const c = await s.customer()
    const bad = await fetch(`${s.urls.orders}/api/orders/events`, { headers: { authorization: `Bearer ${c.token}`, 'last-event-id': 'abc' } })
    expect(bad.status).toBe(422)
  })
})
