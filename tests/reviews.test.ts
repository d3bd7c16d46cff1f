/**
 * Reviews through the whole system (real Postgres and Redis, every service, the gateway): only a
 * customer whose order holding the product was delivered may review it, once; the product's
 * rating in the catalog follows every creation, edit, deletion, hide and unhide within seconds,
 * exactly, even under 100 concurrent reviews; a repeated order.delivered changes nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { EventName, EventPayload } from '@shop/shared/domain/contracts'
import { Queues, producerConnection } from '@shop/shared/messaging/queue'
import { TEST_REDIS_URL, waitFor } from '@shop/shared/testing'
import { startSystem, type System } from './system.ts'

let s: System
let queues: Queues
let connection: ReturnType<typeof producerConnection>
beforeAll(async () => {
  // A short order timeout: the reconciler announces deliveries and returns again that long after.
  s = await startSystem({ gateway: {}, orderTimeoutSeconds: 10, reconcileIntervalMs: 500 })
  connection = producerConnection(TEST_REDIS_URL)
  queues = new Queues(connection, s.prefix)
}, 60_000)
afterAll(async () => {
  await queues.close()
  connection.disconnect()
  await s?.stop()
}, 60_000)

const PARCEL = { carrier: 'DHL', trackingNumber: 'JD014600006281234567' }
const api = (method: string, path: string, options: { token?: string; body?: unknown; key?: string } = {}) => s.request(s.urls.gateway, method, path, options)
const admin = (path: string) => api('POST', path, { token: s.adminToken, key: crypto.randomUUID() })

/** Pays an order of `productIds` (one of each) for the customer, and leaves it at `until`. */
async function orderFor(c: { token: string }, productIds: string[], until: 'PAID' | 'SHIPPED' | 'DELIVERED') {
  const order = (await s.order(c.token, productIds.map((productId) => ({ productId, quantity: 1 })))).body
  expect((await s.waitForOrder(c.token, order.id, 'PAID')).status).toBe('PAID')
  if (until !== 'PAID') expect((await s.request(s.urls.orders, 'POST', `/api/orders/${order.id}/ship`, { token: s.adminToken, body: PARCEL, key: crypto.randomUUID() })).status).toBe(200)
  if (until === 'DELIVERED') expect((await admin(`/api/orders/${order.id}/deliver`)).status).toBe(200)
  return order.id as string
}

/** Waits until the reviews worker has recorded the customer's purchase of the product. */
const heldBy = (userId: string, productId: string) =>
  waitFor(async () => (await s.db.reviews.sql`select 1 from purchases where user_id = ${userId} and product_id = ${productId} and returned_at is null`).length > 0, 15_000)

/** A customer (with money) who received the product: the whole order flow, delivered. */
async function buyer(productId: string, name = 'Grace Hopper') {
  const c = await s.customer(100_000, name)
  await orderFor(c, [productId], 'DELIVERED')
  expect(await heldBy(c.id, productId)).toBe(true)
  return c
}

const review = (token: string, body: Record<string, unknown>) => api('POST', '/api/reviews', { token, body })
const ratingOf = async (productId: string) => (await api('GET', `/api/products/${productId}`)).body.rating as { average: number | null; count: number }
/** Waits until the catalog shows `expected` as the product's rating (it follows review.changed events). */
async function catalogShows(productId: string, expected: { average: number | null; count: number }) {
  await waitFor(async () => JSON.stringify(await ratingOf(productId)) === JSON.stringify(expected), 15_000)
  expect(await ratingOf(productId)).toEqual(expected)
}
const summary = async (productId: string) => (await api('GET', `/api/reviews/summary?productId=${productId}`)).body
const listed = async (productId: string, query = '') => (await api('GET', `/api/reviews?productId=${productId}${query}`)).body

/** Puts an event on the reviews queue as orders' relay would (job id = message id, or a fresh one for a redelivery); waits until it was handled. */
async function deliverEvent<N extends EventName>(name: N, payload: EventPayload<N>, id: string = Bun.randomUUIDv7()) {
  const job = await queues.get('reviews').add(name, { id, name, payload, occurredAt: new Date().toISOString() }, { jobId: `${id}-${Math.random().toString(36).slice(2, 8)}` })
  expect(await waitFor(() => job.isCompleted(), 15_000)).toBe(true)
  return id
}

/**
 * Pauses `queue` around `act`, waits until `db`'s outbox has sent every row for it that `sent`
 * counts, then drops what reached the queue: what a Redis restart without fsync does.
 */
async function losing(queue: 'catalog' | 'reviews', sentRows: () => Promise<number>, act: () => Promise<void>) {
  const q = queues.get(queue)
  await q.pause()
  try {
    await act()
    expect(await waitFor(async () => (await sentRows()) > 0, 10_000)).toBe(true)
    await q.drain(true)
  } finally {
    await q.resume()
  }
}

describe('who may review', () => {
  test('a delivered buyer reviews (201, their name, verified); the catalog and the summary follow', async () => {
    const p = await s.product({ price: 1000, stock: 10 })
    const c = await buyer(p.id, 'Ada Lovelace')
    const res = await review(c.token, { productId: p.id, rating: 4, title: '  Sturdy  ', body: 'Survived a winter on the balcony.' })
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({ productId: p.id, rating: 4, title: 'Sturdy', body: 'Survived a winter on the balcony.', author: { name: 'Ada Lovelace' }, verifiedPurchase: true })
    // The author's later rename does not move the name the review shows.
    expect((await api('PATCH', '/api/users/me', { token: c.token, body: { name: 'Countess' } })).status).toBe(200)
    expect((await listed(p.id)).items.map((r: { author: { name: string } }) => r.author.name)).toEqual(['Ada Lovelace'])
    expect(await summary(p.id)).toEqual({ productId: p.id, average: 4, count: 1, histogram: { '1': 0, '2': 0, '3': 0, '4': 1, '5': 0 } })
    await catalogShows(p.id, { average: 4, count: 1 })
  })

  test('paid or shipped but not delivered: 403 not_a_verified_buyer; a stranger too; an unknown product 404', async () => {
    const p = await s.product({ price: 1000, stock: 10 })
    const paid = await s.customer(100_000)
    await orderFor(paid, [p.id], 'PAID')
    const shipped = await s.customer(100_000)
    await orderFor(shipped, [p.id], 'SHIPPED')
    const stranger = await s.customer()
    for (const c of [paid, shipped, stranger]) {
      const res = await review(c.token, { productId: p.id, rating: 5, body: 'Great' })
      expect(res.status).toBe(403)
      expect(res.body.code).toBe('not_a_verified_buyer')
    }
    // What the page asks before it offers the form.
    const mine = async (token: string, productId: string) => (await api('GET', `/api/reviews/mine?productId=${productId}`, { token })).body
    expect(await mine(paid.token, p.id)).toEqual({ productId: p.id, canReview: false, reason: 'not_a_verified_buyer', review: null })
    const unknown = crypto.randomUUID()
    expect((await api('GET', `/api/reviews/mine?productId=${unknown}`, { token: stranger.token })).status).toBe(404)
    expect((await api('GET', `/api/reviews/mine?productId=${p.id}`)).status).toBe(401)
    expect((await review(stranger.token, { productId: unknown, rating: 5, body: 'Great' })).status).toBe(404)
    expect((await api('GET', `/api/reviews?productId=${unknown}`)).status).toBe(404)
    expect((await api('GET', `/api/reviews/summary?productId=${unknown}`)).status).toBe(404)
    // A real product nobody reviewed: empty, not 404.
    expect(await listed(p.id)).toEqual({ items: [], nextCursor: null })
    expect(await summary(p.id)).toEqual({ productId: p.id, average: null, count: 0, histogram: { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 } })
    expect(await ratingOf(p.id)).toEqual({ average: null, count: 0 })
    expect((await review('', { productId: p.id, rating: 5, body: 'Great' })).status).toBe(401)
  })

  test('one review per customer and product: a second is 409 review_exists, also when two race', async () => {
    const p = await s.product({ price: 1000, stock: 10 })
    const c = await buyer(p.id)
    const mine = async () => (await api('GET', `/api/reviews/mine?productId=${p.id}`, { token: c.token })).body
    expect(await mine()).toEqual({ productId: p.id, canReview: true, reason: null, review: null })
    const both = await Promise.all([review(c.token, { productId: p.id, rating: 5, body: 'First' }), review(c.token, { productId: p.id, rating: 1, body: 'Second' })])
    expect(both.map((r) => r.status).sort()).toEqual([201, 409])
    expect(both.find((r) => r.status === 409)!.body.code).toBe('review_exists')
    expect((await review(c.token, { productId: p.id, rating: 3, body: 'Third' })).status).toBe(409)
    expect(await mine()).toMatchObject({ canReview: false, reason: 'review_exists', review: { productId: p.id } })
    expect((await summary(p.id)).count).toBe(1)
  })

  test('bad input is a 422 naming the field, and nothing is written', async () => {
    const p = await s.product({ price: 1000, stock: 10 })
    const c = await buyer(p.id)
    const cases: [Record<string, unknown>, string][] = [
      [{ productId: p.id, rating: 0, body: 'x' }, 'rating'],
      [{ productId: p.id, rating: 6, body: 'x' }, 'rating'],
      [{ productId: p.id, rating: 4.5, body: 'x' }, 'rating'],
      [{ productId: p.id, rating: '5', body: 'x' }, 'rating'],
      [{ productId: p.id, rating: 5 }, 'body'],
      [{ productId: p.id, rating: 5, body: '   ' }, 'body'],
      [{ productId: p.id, rating: 5, body: 'x'.repeat(5001) }, 'body'],
      [{ productId: p.id, rating: 5, body: 'null \u0000 byte' }, 'body'],
      [{ productId: p.id, rating: 5, body: 'ok', title: 't'.repeat(121) }, 'title'],
      [{ productId: 'not-a-uuid', rating: 5, body: 'ok' }, 'productId'],
    ]
    for (const [body, field] of cases) {
      const res = await review(c.token, body)
      expect([res.status, JSON.stringify(res.body.errors?.map((e: { field: string }) => e.field) ?? res.body)]).toEqual([422, expect.stringContaining(field)])
    }
    // 5,000 characters as people count them is fine, even when an emoji takes several UTF-16 units.
    const long = await review(c.token, { productId: p.id, rating: 5, body: '👍🏽'.repeat(5000) })
    expect(long.status).toBe(201)
    expect((await summary(p.id)).count).toBe(1)
  })
})

describe('changing, deleting and moderating', () => {
  test("the author edits (the product's average follows) and deletes; another's review is 404 to PATCH and DELETE", async () => {
    const p = await s.product({ price: 1000, stock: 10 })
    const [a, b] = [await buyer(p.id, 'A'), await buyer(p.id, 'B')]
    const ra = (await review(a.token, { productId: p.id, rating: 5, body: 'Five' })).body
    const rb = (await review(b.token, { productId: p.id, rating: 2, body: 'Two' })).body
    await catalogShows(p.id, { average: 3.5, count: 2 })
    expect((await api('PATCH', `/api/reviews/${ra.id}`, { token: b.token, body: { rating: 1 } })).status).toBe(404)
    expect((await api('DELETE', `/api/reviews/${ra.id}`, { token: b.token })).status).toBe(404)
    expect((await api('PATCH', `/api/reviews/${ra.id}`, { token: a.token, body: {} })).status).toBe(422)
    const edited = await api('PATCH', `/api/reviews/${rb.id}`, { token: b.token, body: { rating: 3, title: 'Grew on me' } })
    expect(edited.status).toBe(200)
    expect(edited.body).toMatchObject({ rating: 3, title: 'Grew on me', body: 'Two' })
    expect(await summary(p.id)).toMatchObject({ average: 4, count: 2, histogram: { '3': 1, '5': 1, '2': 0 } })
    await catalogShows(p.id, { average: 4, count: 2 })
    // A title removed with null; an edit that keeps the rating does not move it.
    expect((await api('PATCH', `/api/reviews/${rb.id}`, { token: b.token, body: { title: null } })).body.title).toBeNull()
    expect((await api('DELETE', `/api/reviews/${ra.id}`, { token: a.token })).status).toBe(204)
    expect((await api('DELETE', `/api/reviews/${ra.id}`, { token: a.token })).status).toBe(404)
    await catalogShows(p.id, { average: 3, count: 1 })
    // Deleted: the author may review again.
    expect((await review(a.token, { productId: p.id, rating: 4, body: 'Again' })).status).toBe(201)
    await catalogShows(p.id, { average: 3.5, count: 2 })
  })

  test('hide takes a review out of the list and the average (admin only); unhide brings it back; the admin list filters', async () => {
    const p = await s.product({ price: 1000, stock: 10 })
    const [a, b] = [await buyer(p.id, 'A'), await buyer(p.id, 'B')]
    const spam = (await review(a.token, { productId: p.id, rating: 1, body: 'Buy cheap watches at example.com' })).body
    await review(b.token, { productId: p.id, rating: 5, body: 'Lovely' })
    await catalogShows(p.id, { average: 3, count: 2 })
    expect((await api('POST', `/api/reviews/${spam.id}/hide`, { token: b.token })).status).toBe(403)
    const hidden = await admin(`/api/reviews/${spam.id}/hide`)
    expect(hidden.status).toBe(200)
    expect(hidden.body).toMatchObject({ id: spam.id, hidden: true, userId: a.id })
    expect((await admin(`/api/reviews/${spam.id}/hide`)).status).toBe(200) // a repeat changes nothing
    expect((await listed(p.id)).items.map((r: { body: string }) => r.body)).toEqual(['Lovely'])
    expect(await summary(p.id)).toMatchObject({ average: 5, count: 1 })
    await catalogShows(p.id, { average: 5, count: 1 })
    // The author cannot edit it back into view, and their edit does not move the rating.
    expect((await api('PATCH', `/api/reviews/${spam.id}`, { token: a.token, body: { rating: 2 } })).status).toBe(200)
    expect(await summary(p.id)).toMatchObject({ average: 5, count: 1 })
    const onlyHidden = await api('GET', `/api/admin/reviews?hidden=true&productId=${p.id}`, { token: s.adminToken })
    expect(onlyHidden.body.items.map((r: { id: string }) => r.id)).toEqual([spam.id])
    expect((await api('GET', `/api/admin/reviews?hidden=false&productId=${p.id}`, { token: s.adminToken })).body.items).toHaveLength(1)
    expect((await api('GET', `/api/admin/reviews?productId=${p.id}`, { token: s.adminToken })).body.items).toHaveLength(2)
    expect((await api('GET', '/api/admin/reviews', { token: b.token })).status).toBe(403)
    expect((await api('GET', '/api/admin/reviews?hidden=maybe', { token: s.adminToken })).status).toBe(422)
    expect((await admin(`/api/reviews/${spam.id}/unhide`)).body.hidden).toBe(false)
    expect(await summary(p.id)).toMatchObject({ average: 3.5, count: 2, histogram: { '2': 1, '5': 1 } })
    await catalogShows(p.id, { average: 3.5, count: 2 })
    expect((await admin(`/api/reviews/${crypto.randomUUID()}/hide`)).status).toBe(404)
  })

  test('a returned order leaves its review standing but no longer verified; the customer cannot write a new one', async () => {
    const p = await s.product({ price: 1000, stock: 10 })
    const c = await buyer(p.id)
    const [orderId] = (await s.db.reviews.sql<{ orderId: string }[]>`select order_id from purchases where user_id = ${c.id}`).map((r) => r.orderId)
    const r = (await review(c.token, { productId: p.id, rating: 2, body: 'Did not fit' })).body
    expect((await s.request(s.urls.orders, 'POST', `/api/orders/${orderId}/return`, { token: c.token, body: { reason: 'Too small' }, key: crypto.randomUUID() })).status).toBe(200)
    expect((await admin(`/api/orders/${orderId}/return/receive`)).status).toBe(200)
    expect(await waitFor(async () => (await listed(p.id)).items[0]?.verifiedPurchase === false, 15_000)).toBe(true)
    expect((await listed(p.id)).items.map((x: { id: string }) => x.id)).toEqual([r.id])
    expect((await api('DELETE', `/api/reviews/${r.id}`, { token: c.token })).status).toBe(204)
    expect((await review(c.token, { productId: p.id, rating: 1, body: 'Again' })).body.code).toBe('not_a_verified_buyer')
  })
})

describe('reading', () => {
  test('sorted newest, highest and lowest, in keyset pages that neither skip nor repeat', async () => {
    const p = await s.product({ price: 100, stock: 100 })
    const ratings = [3, 5, 1, 4, 5, 2, 3, 1, 4]
    const written: { id: string; rating: number }[] = []
    // Verified buyers without the whole order flow each: one delivered order each (real events).
    for (const rating of ratings) {
      const c = await buyer(p.id, `R${rating}`)
      written.push((await review(c.token, { productId: p.id, rating, body: `Rated ${rating}` })).body)
    }
    const walk = async (sort: string) => {
      const seen: { id: string; rating: number }[] = []
      let cursor: string | null = null
      do {
        const page: { items: { id: string; rating: number }[]; nextCursor: string | null } = await listed(p.id, `&sort=${sort}&limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        seen.push(...page.items)
        cursor = page.nextCursor
      } while (cursor)
      return seen.map((r) => [r.rating, r.id])
    }
    const newest = [...written].reverse().map((r) => [r.rating, r.id])
    expect(await walk('newest')).toEqual(newest)
    // Among equal ratings, newest first.
    expect(await walk('highest')).toEqual([...newest].sort((a, b) => (b[0] as number) - (a[0] as number)))
    expect(await walk('lowest')).toEqual([...newest].sort((a, b) => (a[0] as number) - (b[0] as number)))
    const bad = await api('GET', `/api/reviews?productId=${p.id}&sort=lowest&cursor=${(await listed(p.id, '&sort=highest&limit=1')).nextCursor}`)
    expect(bad.status).toBe(422)
    expect((await api('GET', `/api/reviews?productId=${p.id}&sort=best`)).status).toBe(422)
    expect((await api('GET', '/api/reviews')).status).toBe(422)
    // The catalog sorts by rating: this product (3.1) above an unrated one.
    const unrated = await s.product({ price: 100, stock: 1, name: 'Unrated thing' })
    await catalogShows(p.id, { average: 3.1, count: 9 })
    const byRating = (await api('GET', '/api/products?sort=rating&limit=100')).body.items.map((x: { id: string }) => x.id) as string[]
    expect(byRating).toContain(p.id)
    expect(byRating).toContain(unrated.id)
    expect(byRating.indexOf(p.id)).toBeLessThan(byRating.indexOf(unrated.id))
  })
})

describe('exactness', () => {
  test('100 concurrent reviews of one product by 100 verified buyers: count 100 and the exact average, in the catalog too', async () => {
    const p = await s.product({ price: 100, stock: 1000 })
    // 100 buyers, each with a real order delivered (tokens signed by users; wallets and orders through the APIs).
    const buyers = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const id = crypto.randomUUID()
        const token = await s.shortLivedToken(id, 600, `Buyer ${i}`)
        await s.request(s.urls.payments, 'POST', '/api/wallet', { token, body: { currency: 'EUR' } })
        await s.request(s.urls.payments, 'POST', '/api/wallet/deposits', { token, body: { amount: 1000 }, key: `seed-${id}` })
        return { id, token }
      }),
    )
    for (let i = 0; i < buyers.length; i += 20) await Promise.all(buyers.slice(i, i + 20).map((c) => orderFor(c, [p.id], 'DELIVERED')))
    expect(await waitFor(async () => (await s.db.reviews.sql`select count(*)::int as n from purchases where product_id = ${p.id}`)[0]!.n === 100, 20_000)).toBe(true)
    const ratings = buyers.map((_, i) => (i * 7) % 5 + 1)
    const answers = await Promise.all(buyers.map((c, i) => review(c.token, { productId: p.id, rating: ratings[i], body: `Review ${i}` })))
    expect(answers.map((a) => a.status)).toEqual(Array(100).fill(201))
    const sum = ratings.reduce((a, b) => a + b, 0)
    const average = Math.round((sum * 10) / 100) / 10
    expect(await summary(p.id)).toEqual({ productId: p.id, average, count: 100, histogram: { '1': 20, '2': 20, '3': 20, '4': 20, '5': 20 } })
    await catalogShows(p.id, { average, count: 100 })
    const [kept] = await s.db.catalog.sql<{ ratingSum: number; ratingVersion: number }[]>`select rating_sum::int, rating_version from products where id = ${p.id}`
    expect(kept).toEqual({ ratingSum: sum, ratingVersion: 100 })
  }, 120_000)

  test('a repeated order.delivered (the same message, or the same delivery again) changes nothing', async () => {
    const p = await s.product({ price: 1000, stock: 10 })
    const c = await buyer(p.id)
    const before = await s.db.reviews.sql`select order_id, product_id, user_id, delivered_at, returned_at from purchases where user_id = ${c.id}`
    expect(before).toHaveLength(1)
    const [sent] = await s.db.orders.sql<{ eventId: string; payload: EventPayload<'order.delivered'> }[]>`
      select event_id, payload from outbox where name = 'order.delivered' and payload->>'userId' = ${c.id}`
    await deliverEvent('order.delivered', sent!.payload, sent!.eventId) // the same message again: the inbox skips it
    const fresh = await deliverEvent('order.delivered', sent!.payload) // the same delivery as a new message
    expect((await s.db.reviews.sql`select 1 from inbox where message_id = ${fresh}`).length).toBe(1)
    expect(await s.db.reviews.sql`select order_id, product_id, user_id, delivered_at, returned_at from purchases where user_id = ${c.id}`).toEqual(before)
    // And a late, older rating never overwrites a newer one at the catalog.
    const r = (await review(c.token, { productId: p.id, rating: 5, body: 'Fine' })).body
    await catalogShows(p.id, { average: 5, count: 1 })
    const stale = { reviewId: r.id, productId: p.id, change: 'created' as const, rating: { count: 1, sum: 1, version: 1 } }
    const id = Bun.randomUUIDv7()
    await queues.get('catalog').add('review.changed', { id, name: 'review.changed', payload: stale, occurredAt: new Date().toISOString() }, { jobId: id })
    expect(await waitFor(async () => (await s.db.catalog.sql`select 1 from inbox where message_id = ${id}`).length === 1, 15_000)).toBe(true)
    expect(await ratingOf(p.id)).toEqual({ average: 5, count: 1 })
  })
})

describe('what Redis forgets', () => {
  test('order.delivered lost after it was sent: the reconciler announces it again, and the buyer may review', async () => {
    const p = await s.product({ price: 1000, stock: 10 })
    const c = await s.customer(100_000)
    const orderId = await orderFor(c, [p.id], 'SHIPPED')
    const sent = async () => (await s.db.orders.sql`select count(*)::int as n from outbox where name = 'order.delivered' and payload->>'orderId' = ${orderId} and sent_at is not null`)[0]!.n
    await losing('reviews', sent, async () => {
      expect((await admin(`/api/orders/${orderId}/deliver`)).status).toBe(200)
    })
    expect((await review(c.token, { productId: p.id, rating: 5, body: 'Worth the wait' })).status).toBe(403)
    // A timeout (10 s here) after the delivery, the reconciler publishes it again.
    expect(await waitFor(async () => (await s.db.reviews.sql`select 1 from purchases where order_id = ${orderId}`).length > 0, 30_000)).toBe(true)
    expect((await review(c.token, { productId: p.id, rating: 5, body: 'Worth the wait' })).status).toBe(201)
    expect((await s.db.orders.sql`select event from announcements where order_id = ${orderId}`).length).toBe(0)
  }, 60_000)

  test('review.changed lost after it was sent: the worker sends the rating again and the catalog catches up', async () => {
    const p = await s.product({ price: 1000, stock: 10 })
    const c = await buyer(p.id)
    let reviewId = ''
    const sent = async () => (await s.db.reviews.sql`select count(*)::int as n from outbox where name = 'review.changed' and payload->>'reviewId' = ${reviewId} and sent_at is not null`)[0]!.n
    await losing('catalog', sent, async () => {
      reviewId = (await review(c.token, { productId: p.id, rating: 2, body: 'Lost in transit' })).body.id
    })
    expect(await ratingOf(p.id)).toEqual({ average: null, count: 0 })
    await catalogShows(p.id, { average: 2, count: 1 })
  }, 30_000)

  test('a return that overtakes its delivery (a retried job) still leaves the purchase returned', async () => {
    const p = await s.product({ price: 1000, stock: 10 })
    const c = await s.customer()
    const orderId = crypto.randomUUID()
    await deliverEvent('order.returned', { orderId, userId: c.id })
    await deliverEvent('order.delivered', { orderId, userId: c.id, items: [{ productId: p.id }] })
    const [purchase] = await s.db.reviews.sql<{ returnedAt: Date | null }[]>`select returned_at from purchases where order_id = ${orderId}`
    expect(purchase!.returnedAt).toBeInstanceOf(Date)
    expect((await review(c.token, { productId: p.id, rating: 5, body: 'Never had it' })).body.code).toBe('not_a_verified_buyer')
  })
})

describe('moderation holds', () => {
  test('an author cannot undo a hide by deleting and writing again: the new review starts hidden until unhidden', async () => {
    const p = await s.product({ price: 1000, stock: 10 })
    const c = await buyer(p.id)
    const first = (await review(c.token, { productId: p.id, rating: 1, body: 'Spam spam spam' })).body
    expect((await admin(`/api/reviews/${first.id}/hide`)).status).toBe(200)
    expect((await api('DELETE', `/api/reviews/${first.id}`, { token: c.token })).status).toBe(204)
    const again = await review(c.token, { productId: p.id, rating: 1, body: 'Spam spam spam' })
    expect(again.status).toBe(201)
    expect((await listed(p.id)).items).toEqual([])
    expect(await summary(p.id)).toMatchObject({ count: 0, average: null })
    expect((await api('GET', `/api/admin/reviews/${again.body.id}`, { token: s.adminToken })).body.hidden).toBe(true)
    expect((await admin(`/api/reviews/${again.body.id}/unhide`)).body.hidden).toBe(false)
    expect(await summary(p.id)).toMatchObject({ count: 1, average: 1 })
    await catalogShows(p.id, { average: 1, count: 1 })
  })
})
