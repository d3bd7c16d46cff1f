import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { call, testLog } from '@shop/shared/testing'
import { DEMO_PRODUCTS, seedDemoData } from '../../demo-data.ts'
import { createTestCatalog, type TestCatalog } from '../../testing.ts'
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

type Page = { items: { id: string; name: string; price: number; category: string }[]; nextCursor: string | null }
const list = async (query: string) => (await call(t.app, 'GET', `/api/products${query}`)) as { status: number; body: Page }

async function walk(query: string, limit: number, between?: () => Promise<unknown>): Promise<string[]> {
  const names: string[] = []
  let cursor: string | null = null
  let first = true
  do {
    const sep = query ? '&' : '?'
    const res = await list(`${query}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`)
    expect(res.status).toBe(200)
    names.push(...res.body.items.map((p) => p.name))
    cursor = res.body.nextCursor
    if (first && between) await between()
    first = false
  } while (cursor)
  return names
}

describe('demo data', () => {
  test('fills an empty catalog once, even when two instances start together', async () => {
    const written = await Promise.all([seedDemoData(t.db.sql, testLog), seedDemoData(t.db.sql, testLog)])
    expect(written.sort((a, b) => a - b)).toEqual([0, DEMO_PRODUCTS.length])
    expect(await seedDemoData(t.db.sql, testLog)).toBe(0)
    const categories = await call(t.app, 'GET', '/api/categories')
    expect(categories.body.items.map((c: { name: string }) => c.name)).toEqual(['Books', 'Coffee', 'Electronics', 'Home & Kitchen', 'Outdoors', 'Toys'])
    const expected = new Map<string, number>()
    for (const [, category] of DEMO_PRODUCTS) expected.set(category, (expected.get(category) ?? 0) + 1)
    for (const c of categories.body.items as { name: string; productCount: number }[]) expect(c.productCount).toBe(expected.get(c.name)!)
    // The demo shop sells in euros only.
    expect((await call(t.app, 'GET', '/api/currencies')).body).toEqual({ items: [{ code: 'EUR', productCount: DEMO_PRODUCTS.length }], nextCursor: null })
    // Each with an illustration made at seeding: an 800 px WebP and its 400 px thumbnail.
    const products = (await call(t.app, 'GET', '/api/products?limit=100')).body.items as { images: { url: string; width: number; thumbnailUrl: string; thumbnailWidth: number }[] }[]
    expect(products.map((p) => p.images.map((i) => [i.width, i.thumbnailWidth]))).toEqual(DEMO_PRODUCTS.map(() => [[800, 400]]))
    const thumb = await t.app.handle(new Request(`http://localhost${products[0]!.images[0]!.thumbnailUrl}`))
    expect([thumb.status, thumb.headers.get('content-type')]).toEqual([200, 'image/webp'])
  })
})

describe('search and filters', () => {
  test('q finds by words in name, category and description, best match first', async () => {
    await t.product({ name: 'Espresso Machine Deluxe', category: 'Kitchen Appliances', description: 'Makes espresso.' })
    await t.product({ name: 'Milk Frother', category: 'Kitchen Appliances', description: 'Great next to an espresso machine.' })
    const res = await list('?q=espresso')
    expect(res.status).toBe(200)
    const names = res.body.items.map((p) => p.name)
    // A name match (weight A) outranks a description-only match (weight C).
    expect(names.indexOf('Espresso Machine Deluxe')).toBeLessThan(names.indexOf('Milk Frother'))
    expect(names).toContain('Espresso Blend 1 kg')
    expect(names.every((n) => n !== 'Plush Fox')).toBe(true)
  })

  test('q matches word prefixes and every word must match', async () => {
    expect((await list('?q=headph')).body.items.map((p) => p.name)).toEqual(['Aurora Wireless Headphones'])
    expect((await list('?q=coffee%20decaf')).body.items.map((p) => p.name)).toEqual(['Decaf Brazil 500 g'])
    expect((await list('?q=zzzzzz')).body.items).toEqual([])
  })

  test('tsquery syntax in q is treated as words, never as an error', async () => {
    for (const q of ["'", '&|!', 'a:* & (b', '<->', '\\']) {
      const res = await list(`?q=${encodeURIComponent(q)}`)
      expect({ q, status: res.status }).toEqual({ q, status: 200 })
    }
  })

  test('category (any case) and a price range filter', async () => {
    const res = await list('?category=coffee&minPrice=1600&maxPrice=1900&sort=price')
    expect(res.body.items.map((p) => [p.name, p.price])).toEqual([
      ['Colombia Huila Coffee 500 g', 1699],
      ['Ethiopia Yirgacheffe Coffee 500 g', 1899],
    ])
  })

  test('sorts by price both ways and by name', async () => {
    const up = (await list('?category=Toys&sort=price')).body.items.map((p) => p.price)
    expect(up).toEqual([...up].sort((a, b) => a - b))
    const down = (await list('?category=Toys&sort=-price')).body.items.map((p) => p.price)
    expect(down).toEqual([...up].reverse())
    const names = (await list('?category=Books&sort=name')).body.items.map((p) => p.name)
    expect(names).toEqual([...names].sort())
  })

  test.each([
    ['?minPrice=-1', 'minPrice'],
    ['?minPrice=500&maxPrice=100', 'minPrice'],
    ['?maxPrice=abc', 'maxPrice'],
    ['?sort=cheapest', 'sort'],
    ['?limit=0', 'limit'],
    ['?limit=101', 'limit'],
    ['?cursor=nonsense', 'cursor'],
    [`?q=${'x'.repeat(201)}`, 'q'],
  ])('%s is a 422 naming %s', async (query, field) => {
    const res = await call(t.app, 'GET', `/api/products${query}`)
    expect(res.status).toBe(422)
    expect(res.body.errors[0].field).toBe(field)
  })

  test('a cursor from another sort is refused', async () => {
    const page = await list('?sort=price&limit=2')
    const res = await call(t.app, 'GET', `/api/products?sort=name&cursor=${page.body.nextCursor}`)
    expect(res.status).toBe(422)
  })
})

describe('pagination', () => {
  test.each([['', 7], ['?sort=price', 4], ['?sort=-price', 5], ['?sort=name', 6], ['?q=coffee', 2]])(
    '%s pages neither skip nor repeat (page size %d)',
    async (query, limit) => {
      const all = (await list(`${query}${query ? '&' : '?'}limit=100`)).body.items.map((p) => p.name)
      const walked = await walk(query, limit)
      expect(walked).toEqual(all)
    },
  )

  test('newest-first pages neither skip nor repeat while products are added', async () => {
    const before = (await list('?limit=100')).body.items.map((p) => p.name)
    const walked = await walk('', 4, async () => {
      for (let i = 0; i < 3; i++) await t.product({ name: `Added During Walk ${i}` })
    })
    // The walk sees the catalog as it was when it began: the new products sort before page one.
    expect(walked).toEqual(before)
    expect(new Set(walked).size).toBe(walked.length)
    expect((await list('?limit=3')).body.items.map((p) => p.name)).toEqual(['Added During Walk 2', 'Added During Walk 1', 'Added During Walk 0'])
  })
})

describe('product administration', () => {
  test('an admin creates a product; it is readable with its available stock', async () => {
    const created = await call(t.app, 'POST', '/api/products', {
      token: t.adminToken,
      body: { name: ' Trail Shoes ', category: 'Outdoors', price: 11999, currency: 'EUR', stock: 12, imageUrl: 'https://img.example/shoe.png' },
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ name: 'Trail Shoes', price: 11999, stock: 12, available: 12, active: true, description: '' })
    const read = await call(t.app, 'GET', `/api/products/${created.body.id}`)
    expect(read.body).toEqual(created.body)
  })

  test('a customer writing is a 403, without a token a 401', async () => {
    const customer = await t.tokens.sign(crypto.randomUUID())
    const body = { name: 'X', category: 'Y', price: 1, currency: 'EUR', stock: 1 }
    expect((await call(t.app, 'POST', '/api/products', { token: customer, body })).status).toBe(403)
    expect((await call(t.app, 'POST', '/api/products', { body })).status).toBe(401)
    const p = await t.product()
    expect((await call(t.app, 'PATCH', `/api/products/${p.id}`, { token: customer, body: { price: 1 } })).status).toBe(403)
  })

  test.each([
    [{ price: 19.99 }, 'price'],
    [{ price: '1999' }, 'price'],
    [{ price: 0 }, 'price'],
    [{ stock: -1 }, 'stock'],
    [{ currency: 'euro' }, 'currency'],
    [{ name: '' }, 'name'],
    [{ name: '   ' }, 'name'],
    [{ category: ' \t ' }, 'category'],
    [{ name: 'Kettle\u0000' }, 'name'],
    [{ description: 'nul \u0000 inside' }, 'description'],
    [{ price: 100_000_001 }, 'price'],
    [{ price: 2 ** 53 }, 'price'],
    [{ imageUrl: 'javascript:alert(1)' }, 'imageUrl'],
  ])('invalid field %j is a 422 naming %s', async (change, field) => {
    const body = { name: 'X', category: 'Y', price: 100, currency: 'EUR', stock: 1, ...change }
    const res = await call(t.app, 'POST', '/api/products', { token: t.adminToken, body })
    expect(res.status).toBe(422)
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field)
  })

  test('an admin changes and deactivates a product; inactive ones leave listings and reads', async () => {
    const p = await t.product({ name: 'Temporary Gadget', category: 'Gadgets' })
    const changed = await call(t.app, 'PATCH', `/api/products/${p.id}`, { token: t.adminToken, body: { price: 2500, stock: 3 } })
    expect(changed.status).toBe(200)
    expect(changed.body).toMatchObject({ price: 2500, stock: 3, available: 3 })
    const off = await call(t.app, 'PATCH', `/api/products/${p.id}`, { token: t.adminToken, body: { active: false } })
    expect(off.body.active).toBe(false)
    expect((await call(t.app, 'GET', `/api/products/${p.id}`)).status).toBe(404)
    expect((await list('?q=temporary')).body.items).toEqual([])
    expect((await call(t.app, 'GET', '/api/categories')).body.items.map((c: { name: string }) => c.name)).not.toContain('Gadgets')
  })

  test('currencies: those of active products, most products first', async () => {
    const before = new Map(((await call(t.app, 'GET', '/api/currencies')).body.items as { code: string; productCount: number }[]).map((c) => [c.code, c.productCount]))
    await t.product({ currency: 'CHF' })
    await t.product({ currency: 'CHF' })
    const gone = await t.product({ currency: 'JPY', price: 500 })
    expect((await call(t.app, 'PATCH', `/api/products/${gone.id}`, { token: t.adminToken, body: { active: false } })).status).toBe(200)
    const items = (await call(t.app, 'GET', '/api/currencies')).body.items as { code: string; productCount: number }[]
    expect(items.find((c) => c.code === 'CHF')?.productCount).toBe((before.get('CHF') ?? 0) + 2)
    expect(items.map((c) => c.code)).not.toContain('JPY')
    const counts = items.map((c) => c.productCount)
    expect(counts).toEqual([...counts].sort((x, y) => y - x))
  })

  test('PATCH with nothing, an unknown id or a bad id', async () => {
    const p = await t.product()
    expect((await call(t.app, 'PATCH', `/api/products/${p.id}`, { token: t.adminToken, body: {} })).status).toBe(422)
    expect((await call(t.app, 'PATCH', `/api/products/${crypto.randomUUID()}`, { token: t.adminToken, body: { price: 5 } })).status).toBe(404)
    const bad = await call(t.app, 'PATCH', '/api/products/42', { token: t.adminToken, body: { price: 5 } })
    expect(bad.status).toBe(422)
    expect(bad.body.errors[0].field).toBe('id')
  })
})
