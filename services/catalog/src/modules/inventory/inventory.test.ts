import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { migrate } from '@shop/shared/data/migrate'
import { call, testSchema } from '@shop/shared/testing'
import { MIGRATIONS, MIGRATIONS_DIR } from '../../bootstrap.ts'
import { createTestCatalog, type TestCatalog } from '../../testing.ts'
import { MAX_STOCK, MOVEMENT_KINDS } from './model.ts'
import { stockLedgerMismatches } from './repository.ts'

let t: TestCatalog
beforeAll(async () => {
  t = await createTestCatalog()
})
// Whatever a test did, every product's stock is the sum of its movements.
afterEach(async () => {
  expect(await stockLedgerMismatches(t.db.sql)).toEqual([])
})
afterAll(() => t.close())

/** An admin's POST with a fresh Idempotency-Key (`key: null` sends none). */
const post = (path: string, body: unknown, key: string | null = crypto.randomUUID(), token = t.adminToken) =>
  call(t.app, 'POST', path, { token, body, headers: key === null ? {} : { 'idempotency-key': key } })
const supply = (body: unknown, key?: string | null) => post('/api/inventory/supplies', body, key)
const adjust = (body: unknown, key?: string | null) => post('/api/inventory/adjustments', body, key)

async function stockOf(id: string) {
  const [row] = await t.db.sql<{ stock: number; reserved: number }[]>`select stock, reserved from products where id = ${id}`
  return row!
}

async function movementsOf(id: string): Promise<[string, number, string][]> {
  const rows = await t.db.sql<{ kind: string; delta: number; reference: string }[]>`
    select kind, delta, reference from stock_movements where product_id = ${id} order by id`
  return rows.map((r) => [r.kind, r.delta, r.reference])
}

const count = async (table: 'stock_movements' | 'supplies') => (await t.db.sql`select count(*)::int as n from ${t.db.sql(table)}`)[0]!.n

const reserve = (orderId: string, items: { productId: string; quantity: number }[]) => t.internal('POST', '/internal/reservations', { orderId, items })

describe('the ledger in the database', () => {
  test('UPDATE, DELETE and TRUNCATE of stock_movements and supplies are refused by the database', async () => {
    const p = await t.product({ stock: 4 })
    expect((await supply({ reference: 'PO-append-only', items: [{ productId: p.id, quantity: 1 }] })).status).toBe(201)
    const attempts = [
      t.db.sql`update stock_movements set delta = 100 where product_id = ${p.id}`,
      t.db.sql`delete from stock_movements where product_id = ${p.id}`,
      t.db.sql`truncate stock_movements cascade`,
      t.db.sql`update supplies set reference = 'changed'`,
      t.db.sql`delete from supplies`,
      t.db.sql`truncate supplies cascade`,
    ]
    for (const attempt of attempts) await expect(attempt).rejects.toMatchObject({ code: 'P0001' })
    expect(await movementsOf(p.id)).toEqual([['initial', 4, 'product created'], ['supply', 1, 'PO-append-only']])
  })

  test("the CHECK on kind accepts exactly the API's kinds; a zero, a wrong sign or an order-less sale is refused", async () => {
    const [row] = await t.db.sql<{ definition: string }[]>`
      select pg_get_constraintdef(c.oid) as definition from pg_constraint c join pg_class r on r.oid = c.conrelid
      where r.relname = 'stock_movements' and c.conname = 'stock_movements_kind_check' and r.relnamespace = ${t.db.schema}::regnamespace`
    expect([...row!.definition.matchAll(/'([a-z_]+)'::text/g)].map((m) => m[1]).sort()).toEqual([...MOVEMENT_KINDS].sort())
    const p = await t.product({ stock: 1 })
    const order = crypto.randomUUID()
    for (const [kind, delta, orderId] of [['adjustment', 0, null], ['supply', -1, null], ['sale', 1, order], ['sale', -1, null], ['restock', 1, null]] as const)
      await expect(t.db.sql`
        insert into stock_movements (product_id, kind, delta, reference, order_id) values (${p.id}, ${kind}, ${delta}, 'x', ${orderId})`).rejects.toMatchObject({ code: '23514' })
  })

  test('the migration opens the ledger: every product already stocked gets its initial movement (none for stock 0)', async () => {
    // A catalog as it was before the ledger: migrations 1 to 3, products with stock.
    const before = mkdtempSync(join(tmpdir(), 'catalog-before-ledger-'))
    const db = testSchema('cat_ledger_migration')
    try {
      for (const name of ['00001_create_products', '00002_create_reservations', '00003_reserved_and_price_bound'])
        cpSync(join(MIGRATIONS_DIR, name), join(before, name), { recursive: true })
      await migrate(db.sql, db.schema, [{ source: 'catalog', dir: before }])
      const ids = [Bun.randomUUIDv7(), Bun.randomUUIDv7(), Bun.randomUUIDv7()]
      await db.sql`
        insert into products (id, name, category, price, currency, stock, reserved)
        values (${ids[0]!}, 'Stocked', 'Misc', 100, 'EUR', 7, 2), (${ids[1]!}, 'Empty', 'Misc', 100, 'EUR', 0, 0),
               (${ids[2]!}, 'Plenty', 'Misc', 100, 'EUR', 1000, 0)`
      const { applied } = await migrate(db.sql, db.schema, MIGRATIONS)
      expect(applied).toContain('catalog/00004_stock_movements')
      const movements = await db.sql`select product_id, kind, delta from stock_movements order by product_id`
      expect(movements.map((m) => [m.productId, m.kind, m.delta])).toEqual([[ids[0], 'initial', 7], [ids[2], 'initial', 1000]])
      expect(await stockLedgerMismatches(db.sql)).toEqual([])
    } finally {
      rmSync(before, { recursive: true, force: true })
      await db.drop()
    }
  })
})

describe('product creation and PATCH write their movements', () => {
  test('creation is an initial movement (none for stock 0); PATCH of stock an adjustment of the difference', async () => {
    const p = await t.product({ stock: 12 })
    const empty = await t.product({ stock: 0 })
    expect(await movementsOf(p.id)).toEqual([['initial', 12, 'product created']])
    expect(await movementsOf(empty.id)).toEqual([])
    const patch = (id: string, body: object) => call(t.app, 'PATCH', `/api/products/${id}`, { token: t.adminToken, body })
    expect((await patch(p.id, { stock: 20 })).body.stock).toBe(20)
    expect((await patch(p.id, { stock: 15, name: 'Renamed' })).body.stock).toBe(15)
    expect((await patch(p.id, { stock: 15 })).status).toBe(200) // the same stock: no movement
    expect((await patch(p.id, { price: 999 })).status).toBe(200) // no stock: no movement
    expect((await patch(empty.id, { stock: 3 })).status).toBe(200)
    expect(await movementsOf(p.id)).toEqual([
      ['initial', 12, 'product created'],
      ['adjustment', 8, 'product update'],
      ['adjustment', -5, 'product update'],
    ])
    expect(await movementsOf(empty.id)).toEqual([['adjustment', 3, 'product update']])
    const [actor] = await t.db.sql`select count(distinct created_by)::int as n from stock_movements where product_id = ${p.id} and created_by is not null`
    expect(actor!.n).toBe(1)
  })

  test('a PATCH below what is reserved is still a 409 and writes nothing', async () => {
    const p = await t.product({ stock: 5 })
    expect((await reserve(crypto.randomUUID(), [{ productId: p.id, quantity: 4 }])).status).toBe(201)
    const res = await call(t.app, 'PATCH', `/api/products/${p.id}`, { token: t.adminToken, body: { stock: 3 } })
    expect(res.status).toBe(409)
    expect(res.body.code).toBe('stock_below_reserved')
    expect(await movementsOf(p.id)).toEqual([['initial', 5, 'product created']])
  })
})

describe('supplies', () => {
  test('a supply of 3 products is one movement each, in one go; stock rises; its key replays the answer', async () => {
    const products = [await t.product({ stock: 0 }), await t.product({ stock: 5 }), await t.product({ stock: 100 })]
    const key = crypto.randomUUID()
    const body = {
      reference: ' PO-1042 ',
      supplier: 'Acme Wholesale',
      items: products.map((p, i) => ({ productId: p.id.toUpperCase(), quantity: (i + 1) * 10 })),
    }
    const res = await supply(body, key)
    expect(res.status).toBe(201)
    expect(res.body).toEqual({
      id: expect.any(String),
      reference: 'PO-1042',
      supplier: 'Acme Wholesale',
      items: products.map((p, i) => ({ productId: p.id, quantity: (i + 1) * 10 })).sort((a, b) => (a.productId < b.productId ? -1 : 1)),
      createdAt: expect.any(String),
    })
    expect(await Promise.all(products.map((p) => stockOf(p.id)))).toEqual([
      { stock: 10, reserved: 0 },
      { stock: 25, reserved: 0 },
      { stock: 130, reserved: 0 },
    ])
    for (const [i, p] of products.entries()) expect((await movementsOf(p.id)).at(-1)).toEqual(['supply', (i + 1) * 10, 'PO-1042'])
    const [supplied] = await t.db.sql`select count(*)::int as n from stock_movements where supply_id = ${res.body.id}`
    expect(supplied!.n).toBe(3)

    const again = await supply(body, key)
    expect(again.status).toBe(201)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(again.body).toEqual(res.body)
    expect((await stockOf(products[2]!.id)).stock).toBe(130)
  })

  test('a retry whose idempotency record was lost (a crash after the commit) books nothing twice', async () => {
    const p = await t.product({ stock: 1 })
    const key = crypto.randomUUID()
    const body = { reference: 'PO-crash', items: [{ productId: p.id, quantity: 9 }] }
    const first = await supply(body, key)
    await t.db.sql`delete from idempotency_keys where key = ${key}`
    const retry = await supply(body, key)
    expect(retry.status).toBe(201)
    expect(retry.body).toEqual(first.body)
    expect((await stockOf(p.id)).stock).toBe(10)
    // The same key for another delivery, once its record is gone: refused, not booked.
    await t.db.sql`delete from idempotency_keys where key = ${key}`
    const other = await supply({ reference: 'PO-crash', items: [{ productId: p.id, quantity: 8 }] }, key)
    expect(other.status).toBe(422)
    expect(other.body.code).toBe('idempotency_key_reused')
    expect((await stockOf(p.id)).stock).toBe(10)
  })

  test('an unknown product is a 422 naming it, and nothing is written', async () => {
    const p = await t.product({ stock: 3 })
    const ghost = '0190b6b4-0000-7000-8000-000000000001'
    const [movements, supplies] = [await count('stock_movements'), await count('supplies')]
    const res = await supply({ reference: 'PO-ghost', items: [{ productId: p.id, quantity: 1 }, { productId: ghost, quantity: 1 }] })
    expect(res.status).toBe(422)
    expect(res.body.code).toBe('unknown_product')
    expect(res.body.detail).toContain(ghost)
    expect(await stockOf(p.id)).toEqual({ stock: 3, reserved: 0 })
    expect([await count('stock_movements'), await count('supplies')]).toEqual([movements, supplies])
  })

  test('stock past the bound is a 409 stock_limit_exceeded, and nothing is written', async () => {
    const p = await t.product({ stock: MAX_STOCK - 5 })
    const res = await supply({ reference: 'PO-huge', items: [{ productId: p.id, quantity: 6 }] })
    expect(res.status).toBe(409)
    expect(res.body.code).toBe('stock_limit_exceeded')
    expect((await stockOf(p.id)).stock).toBe(MAX_STOCK - 5)
  })

  test.each([
    [{ reference: 'x', items: [] }, 'items'],
    [{ reference: '', items: [{ productId: '0190b6b4-0000-7000-8000-000000000001', quantity: 1 }] }, 'reference'],
    [{ reference: '   ', items: [{ productId: '0190b6b4-0000-7000-8000-000000000001', quantity: 1 }] }, 'reference'],
    [{ reference: 'x'.repeat(101), items: [{ productId: '0190b6b4-0000-7000-8000-000000000001', quantity: 1 }] }, 'reference'],
    [{ reference: 'x', supplier: 'y'.repeat(101), items: [{ productId: '0190b6b4-0000-7000-8000-000000000001', quantity: 1 }] }, 'supplier'],
    [{ reference: 'x', items: [{ productId: 'nope', quantity: 1 }] }, 'items.0.productId'],
    [{ reference: 'x', items: [{ productId: '0190b6b4-0000-7000-8000-000000000001', quantity: 0 }] }, 'items.0.quantity'],
    [{ reference: 'x', items: [{ productId: '0190b6b4-0000-7000-8000-000000000001', quantity: '5' }] }, 'items.0.quantity'],
    [{ reference: 'x', items: [{ productId: '0190b6b4-0000-7000-8000-000000000001', quantity: 1.5 }] }, 'items.0.quantity'],
    [{ reference: 'x', items: [{ productId: '0190b6b4-0000-7000-8000-000000000001', quantity: 1_000_001 }] }, 'items.0.quantity'],
    [
      { reference: 'x', items: [{ productId: '0190b6b4-0000-7000-8000-000000000001', quantity: 1 }, { productId: '0190B6B4-0000-7000-8000-000000000001', quantity: 2 }] },
      'items.1.productId',
    ],
    [{ reference: 'x', items: Array.from({ length: 101 }, () => ({ productId: crypto.randomUUID(), quantity: 1 })) }, 'items'],
  ])('bad body %j is a 422 naming %s', async (body, field) => {
    const res = await supply(body)
    expect(res.status).toBe(422)
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field)
  })

  test('admins only (401, 403), and an Idempotency-Key is required (400)', async () => {
    const p = await t.product({ stock: 1 })
    const body = { reference: 'PO-auth', items: [{ productId: p.id, quantity: 1 }] }
    const customer = await t.tokens.sign(crypto.randomUUID())
    expect((await post('/api/inventory/supplies', body, crypto.randomUUID(), customer)).status).toBe(403)
    expect((await call(t.app, 'POST', '/api/inventory/supplies', { body, headers: { 'idempotency-key': 'k' } })).status).toBe(401)
    const noKey = await supply(body, null)
    expect(noKey.status).toBe(400)
    expect(noKey.body.code).toBe('idempotency_key_required')
    expect((await stockOf(p.id)).stock).toBe(1)
  })

  test('supplies racing reservations and commits of the same products, listed in any order, never deadlock', async () => {
    const products = await Promise.all(Array.from({ length: 6 }, () => t.product({ stock: 1000 })))
    const ids = products.map((p) => p.id)
    const shuffled = () => [...ids].sort(() => Math.random() - 0.5)
    const results = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        if (i % 2) return (await supply({ reference: `PO-race-${i}`, items: shuffled().map((productId) => ({ productId, quantity: 2 })) })).status
        const orderId = crypto.randomUUID()
        const reserved = await reserve(orderId, shuffled().slice(0, 3).map((productId) => ({ productId, quantity: 1 })))
        if (reserved.status !== 201) return reserved.status
        return (await t.internal('POST', `/internal/reservations/${orderId}/commit`)).status
      }),
    )
    expect(results.every((s) => s === 201 || s === 200)).toBe(true)
    const [totals] = await t.db.sql<{ stock: number }[]>`select sum(stock)::int as stock from products where id = any(${ids}::uuid[])`
    expect(totals!.stock).toBe(6 * 1000 + 15 * 6 * 2 - 15 * 3)
  }, 30_000)
})

describe('adjustments', () => {
  test('an adjustment moves the stock by its delta and is one movement with its reason', async () => {
    const p = await t.product({ stock: 10 })
    const res = await adjust({ productId: p.id, delta: -3, reason: ' broken in the warehouse ' })
    expect(res.status).toBe(201)
    expect(res.body).toEqual({ id: expect.any(String), productId: p.id, kind: 'adjustment', delta: -3, reference: 'broken in the warehouse', at: expect.any(String) })
    expect((await adjust({ productId: p.id, delta: 5, reason: 'found behind a shelf' })).status).toBe(201)
    expect(await stockOf(p.id)).toEqual({ stock: 12, reserved: 0 })
    expect((await movementsOf(p.id)).slice(1)).toEqual([
      ['adjustment', -3, 'broken in the warehouse'],
      ['adjustment', 5, 'found behind a shelf'],
    ])
  })

  test('below what is reserved (or below 0) is a 409 insufficient_stock and writes nothing', async () => {
    const p = await t.product({ stock: 10 })
    expect((await reserve(crypto.randomUUID(), [{ productId: p.id, quantity: 7 }])).status).toBe(201)
    const before = await count('stock_movements')
    for (const delta of [-4, -11]) {
      const res = await adjust({ productId: p.id, delta, reason: 'stocktake' })
      expect(res.status).toBe(409)
      expect(res.body.code).toBe('insufficient_stock')
    }
    expect(await count('stock_movements')).toBe(before)
    expect(await stockOf(p.id)).toEqual({ stock: 10, reserved: 7 })
    // Down to exactly what is reserved is allowed.
    expect((await adjust({ productId: p.id, delta: -3, reason: 'stocktake' })).status).toBe(201)
    expect(await stockOf(p.id)).toEqual({ stock: 7, reserved: 7 })
  })

  test('a retry whose idempotency record was lost books nothing twice; an unknown product is a 422', async () => {
    const p = await t.product({ stock: 10 })
    const key = crypto.randomUUID()
    const first = await adjust({ productId: p.id, delta: -2, reason: 'damaged' }, key)
    await t.db.sql`delete from idempotency_keys where key = ${key}`
    const retry = await adjust({ productId: p.id, delta: -2, reason: 'damaged' }, key)
    expect(retry.body).toEqual(first.body)
    expect((await stockOf(p.id)).stock).toBe(8)
    const unknown = await adjust({ productId: '0190b6b4-0000-7000-8000-000000000002', delta: 1, reason: 'x' })
    expect(unknown.status).toBe(422)
    expect(unknown.body.code).toBe('unknown_product')
  })

  test.each([
    [{ productId: '0190b6b4-0000-7000-8000-000000000001', delta: 0, reason: 'x' }, 'delta'],
    [{ productId: '0190b6b4-0000-7000-8000-000000000001', delta: '3', reason: 'x' }, 'delta'],
    [{ productId: '0190b6b4-0000-7000-8000-000000000001', delta: 2.5, reason: 'x' }, 'delta'],
    [{ productId: '0190b6b4-0000-7000-8000-000000000001', delta: MAX_STOCK + 1, reason: 'x' }, 'delta'],
    [{ productId: '0190b6b4-0000-7000-8000-000000000001', delta: 1, reason: '' }, 'reason'],
    [{ productId: '0190b6b4-0000-7000-8000-000000000001', delta: 1, reason: '  ' }, 'reason'],
    [{ productId: '0190b6b4-0000-7000-8000-000000000001', delta: 1, reason: 'r'.repeat(201) }, 'reason'],
    [{ productId: 'x', delta: 1, reason: 'x' }, 'productId'],
  ])('bad body %j is a 422 naming %s', async (body, field) => {
    const res = await adjust(body)
    expect(res.status).toBe(422)
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field)
  })
})

describe('the movement list', () => {
  test('newest first, filtered by product and kind, in keyset pages that neither skip nor repeat', async () => {
    const p = await t.product({ stock: 3 })
    for (let i = 1; i <= 4; i++) expect((await adjust({ productId: p.id, delta: i, reason: `count ${i}` })).status).toBe(201)
    expect((await supply({ reference: 'PO-list', items: [{ productId: p.id, quantity: 50 }] })).status).toBe(201)
    const list = (query: string) => call(t.app, 'GET', `/api/inventory/movements${query}`, { token: t.adminToken })
    const all = await list(`?productId=${p.id}`)
    expect(all.status).toBe(200)
    expect(all.body.items.map((m: { kind: string; delta: number }) => [m.kind, m.delta])).toEqual([
      ['supply', 50],
      ['adjustment', 4],
      ['adjustment', 3],
      ['adjustment', 2],
      ['adjustment', 1],
      ['initial', 3],
    ])
    expect(all.body.items[0]).toEqual({ id: expect.any(String), productId: p.id, kind: 'supply', delta: 50, reference: 'PO-list', at: expect.any(String) })
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page: { body: { items: { id: string }[]; nextCursor: string | null } } = await list(`?productId=${p.id}&limit=4${cursor ? `&cursor=${cursor}` : ''}`)
      seen.push(...page.body.items.map((m) => m.id))
      cursor = page.body.nextCursor
    } while (cursor)
    expect(seen).toEqual(all.body.items.map((m: { id: string }) => m.id))
    const adjustments = await list(`?productId=${p.id}&kind=adjustment&limit=2`)
    expect(adjustments.body.items.map((m: { delta: number }) => m.delta)).toEqual([4, 3])
    const supplies = await list('?kind=supply&limit=100')
    expect(supplies.body.items.every((m: { kind: string }) => m.kind === 'supply')).toBe(true)
  })

  test.each([['?kind=theft', 'kind'], ['?productId=nope', 'productId'], ['?limit=0', 'limit'], ['?cursor=nonsense', 'cursor']])(
    '%s is a 422 naming %s',
    async (query, field) => {
      const res = await call(t.app, 'GET', `/api/inventory/movements${query}`, { token: t.adminToken })
      expect(res.status).toBe(422)
      expect(res.body.errors[0].field).toBe(field)
    },
  )

  test('admins only', async () => {
    const customer = await t.tokens.sign(crypto.randomUUID())
    expect((await call(t.app, 'GET', '/api/inventory/movements', { token: customer })).status).toBe(403)
    expect((await call(t.app, 'GET', '/api/inventory/movements')).status).toBe(401)
    expect((await call(t.app, 'GET', '/api/inventory/low-stock', { token: customer })).status).toBe(403)
  })
})

describe('low stock', () => {
  test('active products with at most threshold available, fewest first then by name, in pages', async () => {
    const tag = Math.random().toString(36).slice(2, 8)
    const low = await t.product({ name: `Low B ${tag}`, stock: 2 })
    const lowToo = await t.product({ name: `Low A ${tag}`, stock: 2 })
    const reservedDown = await t.product({ name: `Reserved ${tag}`, stock: 50 })
    expect((await reserve(crypto.randomUUID(), [{ productId: reservedDown.id, quantity: 49 }])).status).toBe(201)
    const inactive = await t.product({ name: `Inactive ${tag}`, stock: 0 })
    await call(t.app, 'PATCH', `/api/products/${inactive.id}`, { token: t.adminToken, body: { active: false } })
    const plenty = await t.product({ name: `Plenty ${tag}`, stock: 500 })
    const mine = new Set([low.id, lowToo.id, reservedDown.id, inactive.id, plenty.id])
    const read = async (query: string) => {
      const items: { id: string; name: string; stock: number; reserved: number; available: number }[] = []
      let cursor: string | null = null
      do {
        const page: { status: number; body: { items: typeof items; nextCursor: string | null } } = await call(
          t.app,
          'GET',
          `/api/inventory/low-stock${query}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
          { token: t.adminToken },
        )
        expect(page.status).toBe(200)
        items.push(...page.body.items)
        cursor = page.body.nextCursor
      } while (cursor)
      return items.filter((i) => mine.has(i.id))
    }
    expect(await read('?threshold=5')).toEqual([
      { id: reservedDown.id, name: `Reserved ${tag}`, stock: 50, reserved: 49, available: 1 },
      { id: lowToo.id, name: `Low A ${tag}`, stock: 2, reserved: 0, available: 2 },
      { id: low.id, name: `Low B ${tag}`, stock: 2, reserved: 0, available: 2 },
    ])
    expect((await read('?threshold=1')).map((i) => i.id)).toEqual([reservedDown.id])
    expect((await read('?threshold=1000')).map((i) => i.id)).toContain(plenty.id)
  })

  test.each([['?threshold=-1'], ['?threshold=1000001'], ['?threshold=abc'], ['?threshold=1.5']])('%s is a 422 naming threshold', async (query) => {
    const res = await call(t.app, 'GET', `/api/inventory/low-stock${query}`, { token: t.adminToken })
    expect(res.status).toBe(422)
    expect(res.body.errors[0].field).toBe('threshold')
  })
})
