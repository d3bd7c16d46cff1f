/**
 * The business metrics beside the HTTP ones (real Postgres, Redis, every service): orders created,
 * payments decided by outcome and reason, refunds, each service's outbox backlog and the age of
 * its oldest unsent row, dead letters, its queue's jobs by state, low-stock products. (In tests a service's API and worker share one registry, so its API's
 * /metrics shows both; in production each worker serves its own on its operations port.)
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startSystem, type System } from './system.ts'

let s: System
beforeAll(async () => {
  s = await startSystem({ gateway: {} })
}, 60_000)
afterAll(() => s?.stop(), 60_000)

/** The samples of `name` at `base`'s /metrics: labels (without `service`) as text, and the value. */
async function samples(base: string, name: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${base}/metrics`)).text()
  const found = new Map<string, number>()
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m || m[1] !== name) continue
    const labels = (m[2] ?? '').split(/,(?=[a-z_]+=)/).filter((l) => l && !l.startsWith('service=')).join(',')
    found.set(labels, Number(m[3]))
  }
  return found
}

describe('business metrics', () => {
  test('orders created, payments decided by outcome and reason, a refund, counted once committed', async () => {
    const p = await s.product({ price: 1000, stock: 3 })
    const rich = await s.customer(10_000)
    const poor = await s.customer(0)
    const paid = (await s.order(rich.token, [{ productId: p.id, quantity: 1 }])).body
    const declined = (await s.order(poor.token, [{ productId: p.id, quantity: 1 }])).body
    await s.waitForOrder(rich.token, paid.id, 'PAID')
    await s.waitForFinal(poor.token, declined.id)
    expect((await s.request(s.urls.orders, 'POST', `/api/orders/${paid.id}/cancel`, { token: rich.token, key: crypto.randomUUID() })).status).toBe(200)
    await s.waitForOrder(rich.token, paid.id, 'CANCELLED', 'refunded')

    expect((await samples(s.urls.orders, 'shop_orders_created_total')).get('currency="EUR"')).toBe(2)
    // One order turned PAID (the declined one did not): timed from its creation.
    expect((await samples(s.urls.orders, 'shop_order_paid_seconds_count')).get('')).toBe(1)
    expect((await samples(s.urls.orders, 'shop_order_paid_seconds_sum')).get('')).toBeGreaterThan(0)
    const decided = await samples(s.urls.payments, 'shop_events_committed_total')
    expect(decided.get('event="payment.succeeded",reason=""')).toBe(1)
    expect(decided.get('event="payment.declined",reason="insufficient_funds"')).toBe(1)
    expect(decided.get('event="payment.refunded",reason=""')).toBe(1)
    // The orders side: payment asked twice (by the API), the cancellation with its reason.
    const orderEvents = await samples(s.urls.orders, 'shop_events_committed_total')
    expect(orderEvents.get('event="payment.requested",reason=""')).toBe(2)
    expect(orderEvents.get('event="order.cancelled",reason="insufficient_funds"')).toBe(1)
    // What each consumer handled, by outcome.
    expect((await samples(s.urls.payments, 'events_handled_total')).get('event="payment.requested",outcome="processed"')).toBeGreaterThanOrEqual(1)
  }, 60_000)

  test("each worker's outbox, dead letters and queue; the catalog's low stock", async () => {
    for (const [service, base] of [['orders', s.urls.orders], ['payments', s.urls.payments], ['reviews', s.urls.reviews]] as const) {
      expect({ service, unsent: (await samples(base, 'shop_outbox_unsent')).get('') }).toEqual({ service, unsent: expect.any(Number) })
      expect({ service, oldest: (await samples(base, 'shop_outbox_oldest_unsent_seconds')).get('') }).toEqual({ service, oldest: expect.any(Number) })
    }
    for (const [queue, base] of [['orders', s.urls.orders], ['payments', s.urls.payments], ['reviews', s.urls.reviews], ['catalog', s.urls.catalog]] as const) {
      const jobs = await samples(base, 'shop_queue_jobs')
      for (const state of ['waiting', 'active', 'delayed', 'failed']) expect({ queue, state, value: jobs.get(`queue="${queue}",state="${state}"`) }).toEqual({ queue, state, value: expect.any(Number) })
      expect({ queue, dead: (await samples(base, 'shop_dead_letters')).get(`queue="${queue}"`) }).toEqual({ queue, dead: 0 })
    }
    // A dead letter shows at the next scrape.
    await s.db.payments.sql`
      insert into dead_letters (message_id, queue, name, data, error, attempts)
      values (${crypto.randomUUID()}, 'payments', 'payment.requested', '{}'::jsonb, 'test', 1)`
    expect((await samples(s.urls.payments, 'shop_dead_letters')).get('queue="payments"')).toBe(1)
    // Low stock: a product with 2 available is counted, one with 50 is not.
    const before = (await samples(s.urls.catalog, 'shop_low_stock_products')).get('')!
    await s.product({ price: 500, stock: 2 })
    await s.product({ price: 500, stock: 50 })
    expect((await samples(s.urls.catalog, 'shop_low_stock_products')).get('')).toBe(before + 1)
    // Nothing failed to read.
    for (const base of [s.urls.orders, s.urls.payments, s.urls.catalog, s.urls.reviews]) expect([...(await samples(base, 'shop_metric_read_failures_total')).values()]).toEqual([])
  }, 60_000)
})
