import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { Queues, producerConnection } from '@shop/shared/messaging/queue'
import { TEST_REDIS_URL, call, deleteRedisPrefix, testLog, uniqueName, waitFor } from '@shop/shared/testing'
import { createTestCatalog, type TestCatalog } from '../../testing.ts'
import { createCatalogConsumer } from '../../worker.ts'
import { stockLedgerMismatches } from '../inventory/repository.ts'

let t: TestCatalog
beforeAll(async () => {
  t = await createTestCatalog()
})
// Every product's stock is the sum of its movements, whatever a test did.
afterEach(async () => {
  expect(await stockLedgerMismatches(t.db.sql)).toEqual([])
})
afterAll(() => t.close())

const reserve = (orderId: string, items: { productId: string; quantity: number }[]) =>
  t.internal('POST', '/internal/reservations', { orderId, items })

async function stockOf(id: string) {
  const [row] = await t.db.sql<{ stock: number; reserved: number }[]>`select stock, reserved from products where id = ${id}`
  return row!
}

describe('reserve', () => {
  test('reserves all items at the catalog price and answers the total', async () => {
    const a = await t.product({ price: 1250, stock: 5 })
    const b = await t.product({ price: 300, stock: 5 })
    const orderId = crypto.randomUUID()
    const res = await reserve(orderId, [{ productId: a.id, quantity: 2 }, { productId: b.id, quantity: 3 }])
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({ orderId, status: 'reserved', total: 2 * 1250 + 3 * 300, currency: 'EUR' })
    expect(await stockOf(a.id)).toEqual({ stock: 5, reserved: 2 })
    const read = await call(t.app, 'GET', `/api/products/${a.id}`)
    expect(read.body.available).toBe(3)
  })

  test('all or nothing: one short item reserves none, and the 409 names the product', async () => {
    const a = await t.product({ stock: 5 })
    const b = await t.product({ name: 'Rare Vinyl', stock: 1 })
    const res = await reserve(crypto.randomUUID(), [{ productId: a.id, quantity: 2 }, { productId: b.id, quantity: 2 }])
    expect(res.status).toBe(409)
    expect(res.body.code).toBe('out_of_stock')
    expect(res.body.detail).toContain('Rare Vinyl')
    expect(await stockOf(a.id)).toEqual({ stock: 5, reserved: 0 })
  })

  test('50 concurrent reservations for 10 units leave exactly 10 reserved, never a negative figure', async () => {
    const p = await t.product({ stock: 10 })
    const results = await Promise.all(Array.from({ length: 50 }, () => reserve(crypto.randomUUID(), [{ productId: p.id, quantity: 1 }])))
    expect(results.filter((r) => r.status === 201).length).toBe(10)
    expect(results.filter((r) => r.status === 409).length).toBe(40)
    expect(await stockOf(p.id)).toEqual({ stock: 10, reserved: 10 })
    const read = await call(t.app, 'GET', `/api/products/${p.id}`)
    expect(read.body.available).toBe(0)
  }, 30_000)

  test('concurrent reservations over two products in opposite order do not deadlock', async () => {
    const a = await t.product({ stock: 100 })
    const b = await t.product({ stock: 100 })
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        reserve(crypto.randomUUID(), i % 2 ? [{ productId: a.id, quantity: 1 }, { productId: b.id, quantity: 1 }] : [{ productId: b.id, quantity: 1 }, { productId: a.id, quantity: 1 }]),
      ),
    )
    expect(results.every((r) => r.status === 201)).toBe(true)
    expect(await stockOf(a.id)).toEqual({ stock: 100, reserved: 20 })
  })

  test('repeating a reservation is harmless; other items for the same order are a 409', async () => {
    const p = await t.product({ stock: 5 })
    const orderId = crypto.randomUUID()
    expect((await reserve(orderId, [{ productId: p.id, quantity: 2 }])).status).toBe(201)
    const again = await Promise.all([reserve(orderId, [{ productId: p.id, quantity: 2 }]), reserve(orderId, [{ productId: p.id, quantity: 2 }])])
    expect(again.map((r) => r.status)).toEqual([200, 200])
    expect(await stockOf(p.id)).toEqual({ stock: 5, reserved: 2 })
    const other = await reserve(orderId, [{ productId: p.id, quantity: 3 }])
    expect(other.status).toBe(409)
    expect(other.body.code).toBe('reservation_mismatch')
  })

  test('the same order id reserved concurrently for the first time reserves once', async () => {
    const p = await t.product({ stock: 50 })
    const orderId = crypto.randomUUID()
    const results = await Promise.all(Array.from({ length: 8 }, () => reserve(orderId, [{ productId: p.id, quantity: 3 }])))
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201])
    expect(await stockOf(p.id)).toEqual({ stock: 50, reserved: 3 })
  })

  test('a repeated product id in one request counts once, with the quantities added', async () => {
    const p = await t.product({ stock: 5 })
    const res = await reserve(crypto.randomUUID(), [{ productId: p.id, quantity: 1 }, { productId: p.id, quantity: 2 }])
    expect(res.status).toBe(201)
    expect(res.body.items).toHaveLength(1)
    expect(res.body.items[0].quantity).toBe(3)
  })

  test('unknown, inactive and mixed-currency products are 422', async () => {
    const off = await t.product()
    await call(t.app, 'PATCH', `/api/products/${off.id}`, { token: t.adminToken, body: { active: false } })
    const unknown = await reserve(crypto.randomUUID(), [{ productId: crypto.randomUUID(), quantity: 1 }])
    expect(unknown.status).toBe(422)
    expect(unknown.body.code).toBe('unknown_product')
    expect((await reserve(crypto.randomUUID(), [{ productId: off.id, quantity: 1 }])).body.code).toBe('unknown_product')
    const eur = await t.product()
    const usd = await t.product({ currency: 'USD' })
    const mixed = await reserve(crypto.randomUUID(), [{ productId: eur.id, quantity: 1 }, { productId: usd.id, quantity: 1 }])
    expect(mixed.status).toBe(422)
    expect(mixed.body.code).toBe('mixed_currencies')
  })

  test.each([
    [{ items: [{ productId: 'P', quantity: 0 }] }, 'items.0.quantity'],
    [{ items: [{ productId: 'P', quantity: -1 }] }, 'items.0.quantity'],
    [{ items: [{ productId: 'P', quantity: 1.5 }] }, 'items.0.quantity'],
    [{ items: [{ productId: 'P', quantity: '2' }] }, 'items.0.quantity'],
    [{ items: [] }, 'items'],
    [{ items: [{ productId: 'not-a-uuid', quantity: 1 }] }, 'items.0.productId'],
    [{ orderId: 'nope', items: [{ productId: 'P', quantity: 1 }] }, 'orderId'],
  ])('bad input %j is a 422 naming %s', async (body, field) => {
    const p = await t.product()
    const json = JSON.parse(JSON.stringify({ orderId: crypto.randomUUID(), ...body }).replaceAll('"P"', `"${p.id}"`))
    const res = await t.internal('POST', '/internal/reservations', json)
    expect(res.status).toBe(422)
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field)
  })

  test('internal routes refuse callers without the service token, and user tokens', async () => {
    const body = { orderId: crypto.randomUUID(), items: [{ productId: crypto.randomUUID(), quantity: 1 }] }
    expect((await call(t.app, 'POST', '/internal/reservations', { body })).status).toBe(401)
    expect((await call(t.app, 'POST', '/internal/reservations', { body, headers: { 'x-service-token': 'wrong-token-wrong-token' } })).status).toBe(401)
    expect((await call(t.app, 'POST', '/internal/reservations', { body, token: t.adminToken })).status).toBe(401)
  })
})

describe('commit and release', () => {
  async function reserved(quantity = 2, stock = 10) {
    const p = await t.product({ stock })
    const orderId = crypto.randomUUID()
    expect((await reserve(orderId, [{ productId: p.id, quantity }])).status).toBe(201)
    return { p, orderId }
  }

  test('commit takes the stock out; repeating it is harmless', async () => {
    const { p, orderId } = await reserved(2)
    const first = await t.internal('POST', `/internal/reservations/${orderId}/commit`)
    expect(first.status).toBe(200)
    expect(first.body.status).toBe('committed')
    expect((await t.internal('POST', `/internal/reservations/${orderId}/commit`)).status).toBe(200)
    expect(await stockOf(p.id)).toEqual({ stock: 8, reserved: 0 })
  })

  test('release gives the stock back; repeating it is harmless', async () => {
    const { p, orderId } = await reserved(3)
    expect((await t.internal('POST', `/internal/reservations/${orderId}/release`)).status).toBe(200)
    expect((await t.internal('POST', `/internal/reservations/${orderId}/release`)).status).toBe(200)
    expect(await stockOf(p.id)).toEqual({ stock: 10, reserved: 0 })
  })

  test('release after commit is refused, and commit after release', async () => {
    const a = await reserved()
    await t.internal('POST', `/internal/reservations/${a.orderId}/commit`)
    const release = await t.internal('POST', `/internal/reservations/${a.orderId}/release`)
    expect(release.status).toBe(409)
    expect(release.body.code).toBe('reservation_committed')
    expect(await stockOf(a.p.id)).toEqual({ stock: 8, reserved: 0 })
    const b = await reserved()
    await t.internal('POST', `/internal/reservations/${b.orderId}/release`)
    const commit = await t.internal('POST', `/internal/reservations/${b.orderId}/commit`)
    expect(commit.status).toBe(409)
    expect(commit.body.code).toBe('reservation_released')
  })

  test('commit and release racing on the same reservations: one wins each, and the stock adds up', async () => {
    const p = await t.product({ stock: 100 })
    const orderIds = Array.from({ length: 20 }, () => crypto.randomUUID())
    for (const orderId of orderIds) expect((await reserve(orderId, [{ productId: p.id, quantity: 2 }])).status).toBe(201)
    const results = await Promise.all(
      orderIds.flatMap((orderId) => [
        t.internal('POST', `/internal/reservations/${orderId}/commit`),
        t.internal('POST', `/internal/reservations/${orderId}/release`),
      ]),
    )
    let committed = 0
    for (let i = 0; i < orderIds.length; i++) {
      const [commit, release] = [results[2 * i]!, results[2 * i + 1]!]
      // Exactly one of the two moved the reservation; the other was refused with the winner named.
      expect([commit.status, release.status].sort()).toEqual([200, 409])
      if (commit.status === 200) {
        committed++
        expect(release.body.code).toBe('reservation_committed')
      } else expect(commit.body.code).toBe('reservation_released')
    }
    expect(await stockOf(p.id)).toEqual({ stock: 100 - 2 * committed, reserved: 0 })
  })

  test('a release before the reservation leaves a tombstone: the late reservation is refused', async () => {
    const p = await t.product({ stock: 5 })
    const orderId = crypto.randomUUID()
    expect((await t.internal('POST', `/internal/reservations/${orderId}/release`)).status).toBe(200)
    const late = await reserve(orderId, [{ productId: p.id, quantity: 1 }])
    expect(late.status).toBe(409)
    expect(late.body.code).toBe('reservation_released')
    expect(await stockOf(p.id)).toEqual({ stock: 5, reserved: 0 })
  })

  test('commit of an unknown order is a 404', async () => {
    expect((await t.internal('POST', `/internal/reservations/${crypto.randomUUID()}/commit`)).status).toBe(404)
  })

  test('an admin cannot lower stock below what is reserved', async () => {
    const { p } = await reserved(4)
    const res = await call(t.app, 'PATCH', `/api/products/${p.id}`, { token: t.adminToken, body: { stock: 3 } })
    expect(res.status).toBe(409)
    expect(res.body.code).toBe('stock_below_reserved')
  })
})

describe('order events through the inbox', () => {
  test('order.paid commits and order.cancelled releases, each once however often delivered; a paid order cancelled later is restocked once', async () => {
    const prefix = uniqueName('catq')
    const producer = producerConnection(TEST_REDIS_URL)
    const queues = new Queues(producer, prefix)
    const consumer = createCatalogConsumer({ sql: t.db.sql, redisUrl: TEST_REDIS_URL, prefix, log: testLog })
    consumer.start()
    try {
      const p = await t.product({ stock: 10 })
      const paid = crypto.randomUUID()
      const cancelled = crypto.randomUUID()
      await reserve(paid, [{ productId: p.id, quantity: 2 }])
      await reserve(cancelled, [{ productId: p.id, quantity: 3 }])
      expect(await stockOf(p.id)).toEqual({ stock: 10, reserved: 5 })
      const userId = crypto.randomUUID()
      const send = async (name: 'order.paid' | 'order.cancelled', payload: object, id = Bun.randomUUIDv7()) => {
        await queues.get('catalog').add(name, { id, name, payload, occurredAt: new Date().toISOString() }, { jobId: `${id}-${Math.random()}` })
        return id
      }
      const inbox = async () => (await t.db.sql`select count(*)::int as n from inbox`)[0]!.n
      const paidId = await send('order.paid', { orderId: paid, userId })
      await send('order.paid', { orderId: paid, userId }, paidId)
      await send('order.paid', { orderId: paid, userId }) // a second event for the same order
      await send('order.cancelled', { orderId: cancelled, userId, reason: 'insufficient_funds' })
      await send('order.cancelled', { orderId: cancelled, userId, reason: 'insufficient_funds' })
      expect(await waitFor(async () => (await inbox()) >= 4, 15_000)).toBe(true)
      await Bun.sleep(200)
      expect(await stockOf(p.id)).toEqual({ stock: 8, reserved: 0 })
      // The paid order is cancelled later: its items come back, once, however often the event comes.
      const cancelId = await send('order.cancelled', { orderId: paid, userId, reason: 'user_cancelled' })
      await send('order.cancelled', { orderId: paid, userId, reason: 'user_cancelled' }, cancelId)
      await send('order.cancelled', { orderId: paid, userId, reason: 'user_cancelled' })
      expect(await waitFor(async () => (await inbox()) >= 6, 15_000)).toBe(true)
      await Bun.sleep(200)
      expect(await stockOf(p.id)).toEqual({ stock: 10, reserved: 0 })
      const rows = await t.db.sql`select order_id, status from reservations where order_id in (${paid}, ${cancelled}) order by status`
      expect(rows.map((r) => r.status)).toEqual(['released', 'restocked'])
      const movements = await t.db.sql`select kind, delta from stock_movements where product_id = ${p.id} order by id`
      expect(movements.map((m) => [m.kind, m.delta])).toEqual([['initial', 10], ['sale', -2], ['restock', 2]])
      expect((await t.db.sql`select count(*)::int as n from dead_letters`)[0]!.n).toBe(0)
    } finally {
      await consumer.close(3000)
      await queues.close(2000)
      producer.disconnect()
      await deleteRedisPrefix(prefix)
    }
  }, 30_000)

  test('a batch committing reservations of many products races new reservations of them without a deadlock', async () => {
    const { BATCH_JOB } = await import('@shop/shared/domain/contracts')
    const repo = await import('./repository.ts')
    const prefix = uniqueName('catdl')
    const producer = producerConnection(TEST_REDIS_URL)
    const queues = new Queues(producer, prefix)
    const consumer = createCatalogConsumer({ sql: t.db.sql, redisUrl: TEST_REDIS_URL, prefix, log: testLog })
    consumer.start()
    try {
      const products = await Promise.all(Array.from({ length: 10 }, () => t.product({ stock: 10_000 })))
      const ids = products.map((p) => p.id).sort()
      // Pairs of neighbours, so that a batch over them takes its product locks one lane at a time.
      const pair = (i: number) => [ids[i % 10]!, ids[(i + 1) % 10]!].map((productId) => ({ productId, quantity: 1 }))
      const userId = crypto.randomUUID()
      let committed = 0
      let racingReserved = 0
      for (let round = 0; round < 6; round++) {
        const paid = Array.from({ length: 30 }, () => crypto.randomUUID())
        for (const [i, orderId] of paid.entries()) expect((await reserve(orderId, pair(29 - i))).status).toBe(201)
        const events = paid.map((orderId) => ({ id: Bun.randomUUIDv7(), name: 'order.paid', payload: { orderId, userId }, occurredAt: new Date().toISOString() }))
        await queues.get('catalog').add(BATCH_JOB, { events }, { jobId: `batch-dl-${events[0]!.id}` })
        // New reservations of the same products all the while the batch commits, through the
        // bare statement (the service retries a deadlock; here one surfaces as 40P01).
        let batchDone = false
        const racers = Array.from({ length: 5 }, async (_, lane) => {
          const codes: string[] = []
          for (let i = lane; !batchDone; i += 5) {
            try {
              await repo.reserve(t.db.sql, crypto.randomUUID(), pair(i))
              racingReserved++
            } catch (error) {
              codes.push((error as { code?: string }).code ?? String(error))
            }
          }
          return codes
        })
        const done = await waitFor(async () => (await t.db.sql`select count(*)::int as n from reservations where order_id = any(${paid}::uuid[]) and status = 'committed'`)[0]!.n === 30, 15_000, 5)
        batchDone = true
        expect((await Promise.all(racers)).flat()).toEqual([])
        expect(done).toBe(true)
        committed += 30
      }
      // Every product: what was committed left the shelf, what the racing reservations took is reserved.
      const [totals] = await t.db.sql<{ stock: number; reserved: number }[]>`
        select sum(stock)::int as stock, sum(reserved)::int as reserved from products where id = any(${ids}::uuid[])`
      expect(totals).toEqual({ stock: 100_000 - 2 * committed, reserved: 2 * racingReserved })
      expect((await t.db.sql`select count(*)::int as n from dead_letters`)[0]!.n).toBe(0)
    } finally {
      await consumer.close(3000)
      await queues.close(2000)
      producer.disconnect()
      await deleteRedisPrefix(prefix)
    }
  }, 90_000)
})
