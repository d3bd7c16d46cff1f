/**
 * What the owner's console reads beyond the customers' API (real Postgres, Redis, every service):
 * the dashboard's figures, computed in SQL, against orders whose fate the test decides; and the
 * owner's live stream of every customer's order changes.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { noisyPng } from '../services/catalog/src/testing.ts'
import { openSse } from './sse.ts'
import { startSystem, type System } from './system.ts'

let s: System
beforeAll(async () => {
  s = await startSystem({ gateway: {}, heartbeatMs: 1000 })
}, 60_000)
afterAll(() => s?.stop(), 60_000)

const stats = (query = '', token = s.adminToken) => s.request(s.urls.gateway, 'GET', `/api/admin/orders/stats${query}`, { token })

describe('GET /api/admin/orders/stats', () => {
  test('counts every outcome and the money kept, per window and per day', async () => {
    const empty = await stats()
    expect(empty.status).toBe(200)
    expect(empty.body.timeZone).toBe('UTC')
    expect(empty.body.windows.map((w: { window: string }) => w.window)).toEqual(['today', '7d', '30d'])
    expect(empty.body.windows[0]).toMatchObject({ orders: 0, paid: 0, declined: 0, cancelled: 0, revenue: [] })
    expect(empty.body.days).toHaveLength(30)
    expect(empty.body.days.at(-1).day).toBe(new Date().toISOString().slice(0, 10))

    const p = await s.product({ price: 1500, stock: 50 })
    const rich = await s.customer(100_000)
    // Two paid orders (1 and 3 units), one of them then cancelled by the customer (refunded).
    const kept = (await s.order(rich.token, [{ productId: p.id, quantity: 3 }])).body
    const refunded = (await s.order(rich.token, [{ productId: p.id, quantity: 1 }])).body
    expect((await s.waitForOrder(rich.token, kept.id, 'PAID')).status).toBe('PAID')
    expect((await s.waitForOrder(rich.token, refunded.id, 'PAID')).status).toBe('PAID')
    expect((await s.request(s.urls.gateway, 'POST', `/api/orders/${refunded.id}/cancel`, { token: rich.token, key: crypto.randomUUID() })).status).toBe(200)
    // One declined: the wallet is empty.
    const poor = await s.customer(0)
    const declined = (await s.order(poor.token, [{ productId: p.id, quantity: 1 }])).body
    expect((await s.waitForFinal(poor.token, declined.id)).reason).toBe('insufficient_funds')
    await s.waitForOrder(rich.token, refunded.id, 'CANCELLED', 'refunded')

    const res = await stats()
    expect(res.status).toBe(200)
    for (const w of res.body.windows) {
      expect(w).toMatchObject({ orders: 3, paid: 2, declined: 1, cancelled: 1 })
      // Only the order still paid counts as money kept: 3 × 15.00.
      expect(w.revenue).toEqual([{ currency: 'EUR', amount: 4500, orders: 1, averageOrderValue: 4500 }])
    }
    const today = res.body.days.at(-1)
    expect(today).toEqual({ day: new Date().toISOString().slice(0, 10), orders: 3, paid: 2, revenue: [{ currency: 'EUR', amount: 4500 }] })
    expect(res.body.days.slice(0, -1).every((d: { orders: number }) => d.orders === 0)).toBe(true)

    // Days begin where the owner is: at UTC+14 "today" may be tomorrow in UTC; the orders are in it.
    const kiritimati = await stats('?timeZone=Pacific/Kiritimati&days=7')
    expect(kiritimati.status).toBe(200)
    expect(kiritimati.body.timeZone).toBe('Pacific/Kiritimati')
    expect(kiritimati.body.days).toHaveLength(7)
    expect(kiritimati.body.days.at(-1).day).toBe(new Intl.DateTimeFormat('en-CA', { timeZone: 'Pacific/Kiritimati' }).format(new Date()))
    expect(kiritimati.body.windows[2].orders).toBe(3)
  }, 60_000)

  test('refuses a bad query, a customer and a visitor', async () => {
    const zone = await stats('?timeZone=Mars/Olympus')
    expect(zone.status).toBe(422)
    expect(zone.body.errors[0].field).toBe('timeZone')
    expect((await stats('?days=0')).status).toBe(422)
    expect((await stats('?days=91')).status).toBe(422)
    const c = await s.customer()
    expect((await stats('', c.token)).status).toBe(403)
    expect((await s.request(s.urls.gateway, 'GET', '/api/admin/orders/stats')).status).toBe(401)
  })
})

describe('GET /api/admin/orders/events', () => {
  test("every customer's order changes reach the owner as they commit", async () => {
    const stream = await openSse(`${s.urls.gateway}/api/admin/orders/events`, { authorization: `Bearer ${s.adminToken}` })
    try {
      expect(stream.status).toBe(200)
      expect(stream.contentType).toContain('text/event-stream')
      const p = await s.product({ price: 700, stock: 5 })
      const a = await s.customer(10_000)
      const b = await s.customer(10_000)
      const first = (await s.order(a.token, [{ productId: p.id, quantity: 1 }])).body
      const second = (await s.order(b.token, [{ productId: p.id, quantity: 1 }])).body
      const seen: { orderId: string; userId: string; event: string; status: string }[] = []
      while (seen.filter((e) => e.event === 'paid').length < 2) {
        const event = await stream.next(15_000)
        expect(event.event).toBe('order')
        seen.push(JSON.parse(event.data))
      }
      for (const [order, customer] of [[first, a], [second, b]] as const) {
        const mine = seen.filter((e) => e.orderId === order.id)
        expect(mine.map((e) => e.event)).toEqual(['created', 'paid'])
        expect(mine.every((e) => e.userId === customer.id)).toBe(true)
      }
    } finally {
      stream.close()
    }
  }, 60_000)

  test('is for the owner only', async () => {
    const c = await s.customer()
    const res = await fetch(`${s.urls.gateway}/api/admin/orders/events`, { headers: { authorization: `Bearer ${c.token}` } })
    expect(res.status).toBe(403)
    await res.body?.cancel()
    const anonymous = await fetch(`${s.urls.gateway}/api/admin/orders/events`)
    expect(anonymous.status).toBe(401)
    await anonymous.body?.cancel()
  })
})

describe('GET /api/admin/system', () => {
  test("each queue's jobs and dead letters, and which processes are ready", async () => {
    // A message the payments worker can never take: dead-lettered at once (a contract refusal).
    await s.db.payments.sql`
      insert into dead_letters (message_id, queue, name, data, error, attempts)
      values (${crypto.randomUUID()}, 'payments', 'payment.requested', '{}'::jsonb, 'test: refused by the contract', 1)`
    const res = await s.request(s.urls.gateway, 'GET', '/api/admin/system', { token: s.adminToken })
    expect(res.status).toBe(200)
    expect(res.body.queues.map((q: { name: string }) => q.name).sort()).toEqual(['catalog', 'orders', 'payments', 'reviews'])
    const payments = res.body.queues.find((q: { name: string }) => q.name === 'payments')
    expect(payments.deadLetters).toBe(1)
    expect(res.body.queues.find((q: { name: string }) => q.name === 'reviews').deadLetters).toBe(0)
    for (const q of res.body.queues) for (const field of ['waiting', 'active', 'delayed', 'failed']) expect(Number.isInteger(q[field])).toBe(true)
    // Every queue has its worker connected (the system runs one of each).
    for (const q of res.body.queues) expect({ queue: q.name, working: q.workers >= 1 }).toEqual({ queue: q.name, working: true })
    expect(res.body.processes).toEqual(
      expect.arrayContaining(['gateway', 'users', 'catalog', 'payments', 'orders', 'reviews'].map((name) => ({ name, ready: true, detail: null }))),
    )
    const c = await s.customer()
    expect((await s.request(s.urls.gateway, 'GET', '/api/admin/system', { token: c.token })).status).toBe(403)
    expect((await s.request(s.urls.gateway, 'GET', '/api/admin/system')).status).toBe(401)
  })

  test('a service that does not answer shows as not ready, its dead letters unknown', async () => {
    await s.stopServer('reviews')
    const res = await s.request(s.urls.gateway, 'GET', '/api/admin/system', { token: s.adminToken })
    expect(res.status).toBe(200)
    expect(res.body.processes.find((p: { name: string }) => p.name === 'reviews')).toEqual({ name: 'reviews', ready: false, detail: 'does not answer' })
    expect(res.body.queues.find((q: { name: string }) => q.name === 'reviews').deadLetters).toBeNull()
  })
})

describe("the console's catalog and customer routes", () => {
  test('GET /api/inventory/products lists inactive products too, and finds one by id', async () => {
    const on = await s.product({ name: 'Console Lamp Active', price: 1000, stock: 3 })
    const off = await s.product({ name: 'Console Lamp Retired', price: 1000, stock: 0 })
    expect((await s.request(s.urls.gateway, 'PATCH', `/api/products/${off.id}`, { token: s.adminToken, body: { active: false } })).status).toBe(200)
    const list = (query: string, token = s.adminToken) => s.request(s.urls.gateway, 'GET', `/api/inventory/products${query}`, { token })
    const names = async (query: string) => (await list(query)).body.items.map((p: { name: string }) => p.name).sort()
    expect(await names('?q=console%20lamp')).toEqual(['Console Lamp Active', 'Console Lamp Retired'])
    expect(await names('?q=console%20lamp&status=inactive')).toEqual(['Console Lamp Retired'])
    expect(await names('?q=console%20lamp&status=active')).toEqual(['Console Lamp Active'])
    // The shop's own list and page know only the active one.
    expect((await s.request(s.urls.gateway, 'GET', '/api/products?q=console%20lamp')).body.items.map((p: { id: string }) => p.id)).toEqual([on.id])
    expect((await s.request(s.urls.gateway, 'GET', `/api/products/${off.id}`)).status).toBe(404)
    const one = await s.request(s.urls.gateway, 'GET', `/api/inventory/products/${off.id}`, { token: s.adminToken })
    expect(one.status).toBe(200)
    expect(one.body).toMatchObject({ id: off.id, active: false, stock: 0, available: 0 })
    expect((await list('?status=maybe')).status).toBe(422)
    const c = await s.customer()
    expect((await list('', c.token)).status).toBe(403)
    expect((await s.request(s.urls.gateway, 'GET', `/api/inventory/products/${off.id}`, { token: c.token })).status).toBe(403)
  })

  test('PUT /api/products/:id/images/order puts the pictures in order; the first is the main one', async () => {
    const p = await s.product({ name: 'Console Vase', price: 1500, stock: 2 })
    const upload = async (width: number) => {
      const form = new FormData()
      form.append('file', new File([new Uint8Array(await noisyPng(width, 100))], 'vase.png', { type: 'image/png' }))
      const res = await fetch(`${s.urls.gateway}/api/products/${p.id}/images`, { method: 'POST', headers: { authorization: `Bearer ${s.adminToken}` }, body: form })
      expect(res.status).toBe(201)
      return ((await res.json()) as { id: string }).id
    }
    const [a, b, c] = [await upload(120), await upload(140), await upload(160)]
    const order = (imageIds: string[], token = s.adminToken) => s.request(s.urls.gateway, 'PUT', `/api/products/${p.id}/images/order`, { token, body: { imageIds } })
    const res = await order([c!, a!, b!])
    expect(res.status).toBe(200)
    expect(res.body.items.map((i: { id: string }) => i.id)).toEqual([c, a, b])
    const product = (await s.request(s.urls.gateway, 'GET', `/api/products/${p.id}`)).body
    expect(product.images.map((i: { id: string }) => i.id)).toEqual([c, a, b])
    expect(product.imageUrl).toContain(c)
    // Not every image, one twice, or one of another product: 409, and nothing moves.
    expect((await order([a!, b!])).status).toBe(409)
    expect((await order([a!, a!, b!])).status).toBe(409)
    expect((await order([a!, b!, crypto.randomUUID()])).status).toBe(409)
    expect((await order(['nope'])).status).toBe(422)
    expect((await s.request(s.urls.gateway, 'PUT', `/api/products/${crypto.randomUUID()}/images/order`, { token: s.adminToken, body: { imageIds: [] } })).status).toBe(404)
    const customer = await s.customer()
    expect((await order([b!, a!, c!], customer.token)).status).toBe(403)
    expect((await s.request(s.urls.gateway, 'GET', `/api/products/${p.id}`)).body.images.map((i: { id: string }) => i.id)).toEqual([c, a, b])
  })

  test("GET /api/admin/wallets/:userId shows a customer's wallet and ledger, read only", async () => {
    const rich = await s.customer(12_345)
    const none = await s.customer()
    const wallet = await s.request(s.urls.gateway, 'GET', `/api/admin/wallets/${rich.id}`, { token: s.adminToken })
    expect(wallet.status).toBe(200)
    expect(wallet.body).toMatchObject({ balance: 12_345, currency: 'EUR' })
    const ledger = await s.request(s.urls.gateway, 'GET', `/api/admin/wallets/${rich.id}/transactions`, { token: s.adminToken })
    expect(ledger.body.items.map((e: { amount: number }) => e.amount)).toEqual([12_345])
    const missing = await s.request(s.urls.gateway, 'GET', `/api/admin/wallets/${none.id}`, { token: s.adminToken })
    expect([missing.status, missing.body.code]).toEqual([404, 'no_wallet'])
    expect((await s.request(s.urls.gateway, 'GET', `/api/admin/wallets/${rich.id}`, { token: none.token })).status).toBe(403)
    expect((await s.request(s.urls.gateway, 'GET', '/api/admin/wallets/nope', { token: s.adminToken })).status).toBe(422)
  })
})
