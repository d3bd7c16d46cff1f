/**
 * Fulfilment through the whole system (real Postgres, Redis, every service): order numbers, the
 * shipping address, shipping with tracking (live on the stream), the owner's order list, returns
 * (within and after the window; received once, refunded once, restocked), and the goods of a
 * cancelled paid order back in stock.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createSql } from '@shop/shared/data/db'
import { openRuntime } from '@shop/shared/runtime/service'
import { TEST_DATABASE_URL, TEST_REDIS_URL, testLog } from '@shop/shared/testing'
import { SERVICES } from '../services.ts'
import { openSse } from './sse.ts'
import { startSystem, type System } from './system.ts'

let s: System
beforeAll(async () => {
  s = await startSystem({ gateway: {}, heartbeatMs: 1000 })
}, 60_000)
afterAll(() => s?.stop(), 60_000)

const ADDRESS = { name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' }
const PARCEL = { carrier: 'DHL', trackingNumber: 'JD014600006281234567' }
const key = () => crypto.randomUUID()

/** A paid order of 2 units, its sale committed at the catalog (stock − 2, nothing reserved). */
async function paidOrder(balance = 10_000, price = 1000, stock = 10) {
  const c = await s.customer(balance)
  const p = await s.product({ price, stock })
  const order = (await s.order(c.token, [{ productId: p.id, quantity: 2 }])).body
  await s.waitForOrder(c.token, order.id, 'PAID')
  await waitStock(p.id, { stock: stock - 2, reserved: 0 })
  return { c, p, order }
}

async function waitStock(productId: string, expected: { stock: number; reserved: number }) {
  const deadline = Date.now() + 10_000
  while (JSON.stringify(await s.stock(productId)) !== JSON.stringify(expected) && Date.now() < deadline) await Bun.sleep(50)
  expect(await s.stock(productId)).toEqual(expected)
}

const post = (path: string, token: string, body?: unknown) => s.request(s.urls.orders, 'POST', path, { token, body, key: key() })

async function delivered() {
  const made = await paidOrder()
  expect((await post(`/api/orders/${made.order.id}/ship`, s.adminToken, PARCEL)).status).toBe(200)
  expect((await post(`/api/orders/${made.order.id}/deliver`, s.adminToken)).status).toBe(200)
  return made
}

describe('order numbers and the shipping address', () => {
  test('50 concurrent orders over two orders instances get 50 distinct, increasing numbers (#1001 and up)', async () => {
    // A second orders API on the same database, with its own connection pool.
    const sql = createSql({ url: TEST_DATABASE_URL, schema: s.db.orders.schema, max: 5 })
    const config = SERVICES.orders.readConfig({ DATABASE_URL: TEST_DATABASE_URL, REDIS_URL: TEST_REDIS_URL, CATALOG_URL: s.urls.catalog, USERS_URL: s.urls.users, INTERNAL_TOKEN: 'system-test-internal-token-0123456789', JWT_ISSUER: 'shop-users-test', JWT_AUDIENCE: 'shop-test', QUEUE_PREFIX: s.prefix })
    const rt = openRuntime({ name: 'orders-2', config, log: testLog, schema: s.db.orders.schema, sql, closeSql: false, redisUrl: config.REDIS_URL, queuePrefix: s.prefix })
    const second = await SERVICES.orders.api(rt, undefined)
    second.app.listen({ port: 0, hostname: '127.0.0.1' })
    const urls = [s.urls.orders, `http://127.0.0.1:${second.app.server!.port}`]
    try {
      const c = await s.customer(1_000_000)
      const p = await s.product({ price: 100, stock: 1000 })
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => s.request(urls[i % 2]!, 'POST', '/api/orders', { token: c.token, body: { items: [{ productId: p.id, quantity: 1 }] }, key: key() })),
      )
      expect(answers.map((a) => a.status)).toEqual(Array(50).fill(202))
      const numbers = answers.map((a) => a.body.number as number)
      expect(new Set(numbers).size).toBe(50)
      for (const n of numbers) expect(n).toBeGreaterThan(1000)
      // Increasing: an order made after them all has a higher number than any of them (concurrent
      // ones are in no order of their own: numbers and creation sequence are taken separately).
      const later = (await s.order(c.token, [{ productId: p.id, quantity: 1 }])).body
      expect(later.number).toBeGreaterThan(Math.max(...numbers))
      // A replay answers the same number.
      const again = await s.request(urls[1]!, 'GET', `/api/orders/${answers[7]!.body.id}`, { token: c.token })
      expect(again.body.number).toBe(numbers[7])
    } finally {
      await second.app.stop(true)
      await rt.close()
      await sql.end({ timeout: 5 })
    }
  }, 60_000)

  test('the shipping address is copied onto the order (optional parts null); a bad one is a 422 naming the field', async () => {
    const c = await s.customer(5000)
    const p = await s.product({ price: 500, stock: 5 })
    const made = await s.request(s.urls.orders, 'POST', '/api/orders', { token: c.token, key: key(), body: { items: [{ productId: p.id, quantity: 1 }], shippingAddress: ADDRESS } })
    expect(made.status).toBe(202)
    const expected = { ...ADDRESS, line2: null, region: null, phone: null }
    expect(made.body.shippingAddress).toEqual(expected)
    expect((await s.orderStatus(c.token, made.body.id)).shippingAddress).toEqual(expected)
    const without = (await s.order(c.token, [{ productId: p.id, quantity: 1 }])).body
    expect(without.shippingAddress).toBeNull()
    for (const [address, field] of [
      [{ ...ADDRESS, country: 'gb' }, 'country'],
      [{ ...ADDRESS, name: '' }, 'name'],
      [{ ...ADDRESS, name: '   ' }, 'name'],
      [{ ...ADDRESS, line1: 'x'.repeat(201) }, 'line1'],
      [{ ...ADDRESS, phone: 'call me' }, 'phone'],
    ] as const) {
      const res = await s.request(s.urls.orders, 'POST', '/api/orders', { token: c.token, key: key(), body: { items: [{ productId: p.id, quantity: 1 }], shippingAddress: address } })
      expect({ field, status: res.status }).toEqual({ field, status: 422 })
      expect(JSON.stringify(res.body)).toContain(field)
    }
  })
})

describe('shipping', () => {
  test('ship needs a carrier and a tracking number (422 otherwise), then the order and its history carry them; deliver records the time', async () => {
    const { order, c } = await paidOrder()
    for (const body of [undefined, {}, { carrier: 'DHL' }, { carrier: '', trackingNumber: 'X1' }, { carrier: 'DHL', trackingNumber: 'x'.repeat(65) }, { carrier: '  ', trackingNumber: 'X1' }]) {
      const res = await post(`/api/orders/${order.id}/ship`, s.adminToken, body)
      expect({ body, status: res.status }).toEqual({ body, status: 422 })
    }
    expect((await post(`/api/orders/${order.id}/ship`, c.token, PARCEL)).status).toBe(403)
    const shipped = await post(`/api/orders/${order.id}/ship`, s.adminToken, PARCEL)
    expect(shipped.status).toBe(200)
    expect(shipped.body.shipment).toMatchObject({ ...PARCEL, deliveredAt: null })
    expect(Date.parse(shipped.body.shipment.shippedAt)).toBeGreaterThan(Date.now() - 60_000)
    const delivered = await post(`/api/orders/${order.id}/deliver`, s.adminToken)
    expect(delivered.body.status).toBe('DELIVERED')
    expect(Date.parse(delivered.body.shipment.deliveredAt)).toBeGreaterThanOrEqual(Date.parse(delivered.body.shipment.shippedAt))
    const history = (await s.orderStatus(c.token, order.id)).history as { event: string; shipment: unknown }[]
    expect(history.find((h) => h.event === 'shipped')!.shipment).toMatchObject({ ...PARCEL, deliveredAt: null })
    expect(history.find((h) => h.event === 'delivered')!.shipment).toEqual(delivered.body.shipment)
    expect(history.find((h) => h.event === 'paid')!.shipment).toBeNull()
  })

  test('the customer sees the tracking number live on the stream', async () => {
    const { order, c } = await paidOrder()
    const stream = await openSse(`${s.urls.orders}/api/orders/events`, { authorization: `Bearer ${c.token}`, 'last-event-id': String((await s.orderStatus(c.token, order.id)).history.at(-1).seq) })
    try {
      await post(`/api/orders/${order.id}/ship`, s.adminToken, PARCEL)
      const event = JSON.parse((await stream.next(5000)).data)
      expect(event).toMatchObject({ orderId: order.id, event: 'shipped', status: 'SHIPPED', shipment: { ...PARCEL, deliveredAt: null } })
      await post(`/api/orders/${order.id}/deliver`, s.adminToken)
      const next = JSON.parse((await stream.next(5000)).data)
      expect(next).toMatchObject({ event: 'delivered', status: 'DELIVERED', shipment: { ...PARCEL } })
      expect(next.shipment.deliveredAt).toBeString()
    } finally {
      stream.close()
    }
  })
})

describe("the owner's order list", () => {
  test('every customer, newest first; filters by status, number (with or without #) and user; pages without gaps; admin only', async () => {
    const a = await s.customer(100_000)
    const b = await s.customer(100_000)
    const p = await s.product({ price: 100, stock: 100 })
    const made: { id: string; number: number }[] = []
    for (const who of [a, b, a, b, a]) made.push((await s.order(who.token, [{ productId: p.id, quantity: 1 }])).body)
    for (const o of made) await s.waitForFinal(s.adminToken, o.id)
    const list = (query: string) => s.request(s.urls.gateway, 'GET', `/api/admin/orders${query}`, { token: s.adminToken })
    expect((await s.request(s.urls.gateway, 'GET', '/api/admin/orders', { token: a.token })).status).toBe(403)
    expect((await s.request(s.urls.gateway, 'GET', '/api/admin/orders')).status).toBe(401)
    const byA = (await list(`?userId=${a.id}`)).body.items as { id: string; userId: string }[]
    expect(byA.map((o) => o.id)).toEqual([made[4]!.id, made[2]!.id, made[0]!.id])
    expect((await list(`?number=${made[3]!.number}`)).body.items.map((o: { id: string }) => o.id)).toEqual([made[3]!.id])
    expect((await list(`?number=%23${made[1]!.number}`)).body.items.map((o: { id: string }) => o.id)).toEqual([made[1]!.id])
    expect((await list('?number=12ab')).status).toBe(422)
    const paidOfB = (await list(`?userId=${b.id}&status=PAID`)).body.items as { status: string }[]
    expect(paidOfB.length).toBe(2)
    expect(paidOfB.every((o) => o.status === 'PAID')).toBe(true)
    // Pages of 2 over a's 3 orders and b's 2: five distinct, newest first, then the end.
    const seen: string[] = []
    let cursor: string | undefined
    do {
      const page = (await list(`?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).body
      seen.push(...(page.items as { id: string }[]).map((o) => o.id))
      cursor = page.nextCursor ?? undefined
    } while (cursor)
    expect(new Set(seen).size).toBe(seen.length)
    const mine = seen.filter((id) => made.some((m) => m.id === id))
    expect(mine).toEqual([...made].reverse().map((m) => m.id))
  })
})

describe('returns', () => {
  test('within the window: RETURN_REQUESTED with the reason; received: RETURNED, refunded once, restocked', async () => {
    const { order, c, p } = await delivered()
    const stockBefore = await s.stock(p.id)
    const balanceBefore = await s.balance(c.token)
    expect((await post(`/api/orders/${order.id}/return`, c.token, {})).status).toBe(422)
    const asked = await post(`/api/orders/${order.id}/return`, c.token, { reason: 'Too small' })
    expect(asked.status).toBe(200)
    expect(asked.body.status).toBe('RETURN_REQUESTED')
    expect(asked.body.return).toMatchObject({ reason: 'Too small', receivedAt: null })
    expect((await post(`/api/orders/${order.id}/return/receive`, c.token)).status).toBe(403)
    // Two receipts at once: one moves the order, the other is a conflict; the money comes back once.
    const receipts = await Promise.all([post(`/api/orders/${order.id}/return/receive`, s.adminToken), post(`/api/orders/${order.id}/return/receive`, s.adminToken)])
    expect(receipts.map((r) => r.status).sort()).toEqual([200, 409])
    const final = await s.waitForOrder(c.token, order.id, 'RETURNED', 'refunded')
    expect(final.refundStatus).toBe('refunded')
    expect(final.history.map((h: { event: string }) => h.event)).toEqual(['created', 'paid', 'shipped', 'delivered', 'return_requested', 'returned', 'refund_requested', 'refunded'])
    expect(await s.balance(c.token)).toBe(balanceBefore + order.total)
    // The goods are back on the shelf (the catalog restocks once on order.returned).
    await waitStock(p.id, { stock: stockBefore.stock + 2, reserved: 0 })
    await Bun.sleep(300)
    expect(await s.balance(c.token)).toBe(balanceBefore + order.total)
    expect((await s.stock(p.id)).stock).toBe(stockBefore.stock + 2)
    expect(await s.unbalancedWallets()).toEqual([])
  })

  test('after the window: 409 return_window_closed; not delivered: 409; another customer: 404', async () => {
    const { order, c } = await delivered()
    const other = await s.customer()
    expect((await post(`/api/orders/${order.id}/return`, other.token, { reason: 'mine now' })).status).toBe(404)
    await s.db.orders.sql`update orders set delivered_at = now() - interval '31 days' where id = ${order.id}`
    const late = await post(`/api/orders/${order.id}/return`, c.token, { reason: 'changed my mind' })
    expect(late.status).toBe(409)
    expect(late.body.code).toBe('return_window_closed')
    const paid = await paidOrder()
    const early = await post(`/api/orders/${paid.order.id}/return`, paid.c.token, { reason: 'not yet here' })
    expect(early.status).toBe(409)
    expect(early.body.code).toBe('order_state_conflict')
    expect((await post(`/api/orders/${paid.order.id}/return/receive`, s.adminToken)).status).toBe(409)
  })
})

describe('cancel after payment', () => {
  test('a paid order cancelled is refunded and its goods are back in stock', async () => {
    const { order, c, p } = await paidOrder(10_000, 1000, 10) // the sale committed: stock 10 → 8
    expect((await post(`/api/orders/${order.id}/cancel`, c.token)).status).toBe(200)
    await s.waitForOrder(c.token, order.id, 'CANCELLED', 'refunded')
    await waitStock(p.id, { stock: 10, reserved: 0 })
    expect(await s.balance(c.token)).toBe(10_000)
  })
})
