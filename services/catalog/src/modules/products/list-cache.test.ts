/**
 * The product list cache on the real Postgres: a repeated list is served from memory, and every
 * kind of change empties what it could make wrong, whichever process made it (here: SQL straight
 * to the table, as the worker's stock and rating updates are, and the internal reservation route).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { call, testLog } from '@shop/shared/testing'
import { createTestCatalog, type TestCatalog } from '../../testing.ts'
import { ListCache } from './list-cache.ts'

let t: TestCatalog
beforeAll(async () => {
  t = await createTestCatalog()
})
afterAll(() => t.close())

const list = async (query: string) => {
  const res = await call(t.app, 'GET', `/api/products${query}`)
  expect(res.status).toBe(200)
  return res.body as { items: { id: string; name: string; available: number; price: number; rating: { count: number } }[] }
}

/** Lets the NOTIFYs of the writes just made arrive (each empties the cache once more). */
const settle = () => Bun.sleep(150)

/** Asks until `check` holds (a NOTIFY arrives after its commit, within milliseconds). */
async function eventually(check: () => Promise<boolean>) {
  for (const deadline = Date.now() + 5000; Date.now() < deadline; await Bun.sleep(10)) if (await check()) return true
  return false
}

describe('the product list cache', () => {
  test('a repeated search is served from memory; a stock change made elsewhere shows at once after its commit', async () => {
    const lamp = await t.product({ name: 'Cachelamp brass', stock: 10 })
    await settle()
    const first = await list('?q=cachelamp')
    expect(first.items.map((p) => p.available)).toEqual([10])
    const hits = t.listCache.stats.hits
    await list('?q=cachelamp')
    expect(t.listCache.stats.hits).toBe(hits + 1)
    // Reserved through the internal route (orders' call: no write hook), then straight in SQL (the worker's way).
    expect((await t.internal('POST', '/internal/reservations', { orderId: crypto.randomUUID(), items: [{ productId: lamp.id, quantity: 3 }] })).status).toBe(201)
    expect(await eventually(async () => (await list('?q=cachelamp')).items[0]?.available === 7)).toBe(true)
    await t.db.sql`update products set stock = stock + 5 where id = ${lamp.id}`
    expect(await eventually(async () => (await list('?q=cachelamp')).items[0]?.available === 12)).toBe(true)
  })

  test('a change that reorders the list (a rating, a price, a new product) empties it', async () => {
    const a = await t.product({ name: 'Cacheorder alpha', price: 1000 })
    const b = await t.product({ name: 'Cacheorder beta', price: 2000 })
    expect((await list('?q=cacheorder&sort=price')).items.map((p) => p.id)).toEqual([a.id, b.id])
    await t.db.sql`update products set price = 3000 where id = ${a.id}`
    expect(await eventually(async () => (await list('?q=cacheorder&sort=price')).items[0]?.id === b.id)).toBe(true)
    await t.db.sql`update products set rating_count = 1, rating_sum = 5, rating_score = 5 where id = ${a.id}`
    expect(await eventually(async () => (await list('?q=cacheorder&sort=rating')).items[0]?.rating.count === 1)).toBe(true)
    // A product written by the owner through this instance is in the very next list.
    const c = await t.product({ name: 'Cacheorder gamma', price: 500 })
    expect((await list('?q=cacheorder&sort=price')).items.map((p) => p.id)).toEqual([c.id, b.id, a.id])
    // Hidden by the owner: gone from the next list.
    expect((await call(t.app, 'PATCH', `/api/products/${c.id}`, { token: t.adminToken, body: { active: false } })).status).toBe(200)
    expect((await list('?q=cacheorder&sort=price')).items.map((p) => p.id)).toEqual([b.id, a.id])
  })

  test('a new image of one product drops only the pages that show it; stock is read fresh without any NOTIFY', async () => {
    const x = await t.product({ name: 'Cachepart xylo' })
    await t.product({ name: 'Cachepart zebra' })
    await settle()
    await list('?q=xylo')
    await list('?q=zebra')
    await list('?q=xylo')
    const hits = t.listCache.stats.hits
    // Stock: the cached page keeps answering (hits), with the stock at most a quarter second old.
    await t.db.sql`update products set stock = 1 where id = ${x.id}`
    const changedAt = Date.now()
    expect(await eventually(async () => (await list('?q=xylo')).items[0]?.available === 1)).toBe(true)
    expect(Date.now() - changedAt).toBeLessThan(1000)
    expect(t.listCache.stats.hits).toBeGreaterThan(hits)
    await t.db.sql`insert into product_images (id, product_id, position, image, width, height, thumbnail, thumbnail_width, thumbnail_height)
      values (${Bun.randomUUIDv7()}, ${x.id}, 0, '\\x00', 1, 1, '\\x00', 1, 1)`
    expect(await eventually(async () => ((await list('?q=xylo')).items[0] as unknown as { images: unknown[] }).images.length === 1)).toBe(true)
    const before = t.listCache.stats.hits
    await list('?q=zebra')
    expect(t.listCache.stats.hits).toBe(before + 1)
  })
})

describe('ListCache', () => {
  const ids = (v: string[]) => v

  test('a page loaded while a change arrived is answered but not kept', async () => {
    const cache = new ListCache<string[]>()
    cache['listening'] = true
    let loads = 0
    const load = async () => {
      loads++
      cache.changed('*')
      return ['p1']
    }
    await cache.get('k', load, ids)
    await cache.get('k', async () => (loads++, ['p1']), ids)
    await cache.get('k', async () => (loads++, ['p1']), ids)
    expect(loads).toBe(2)
  })

  test('not yet listening: every call loads; entries expire after the ttl', async () => {
    let now = 0
    const cache = new ListCache<string[]>({ ttlMs: 1000, now: () => now })
    let loads = 0
    const load = async () => (loads++, ['p1'])
    await cache.get('k', load, ids)
    await cache.get('k', load, ids)
    expect(loads).toBe(2)
    cache['listening'] = true
    await cache.get('k', load, ids)
    await cache.get('k', load, ids)
    expect(loads).toBe(3)
    now = 1001
    await cache.get('k', load, ids)
    expect(loads).toBe(4)
  })

  test('stock is read again once it is older than stockTtlMs, in one call for the stale ids', async () => {
    let now = 0
    const cache = new ListCache<string[]>({ stockTtlMs: 250, now: () => now })
    const asked: string[][] = []
    let stock = 5
    const load = async (ids: string[]) => (asked.push(ids), ids.map((id) => ({ id, stock, reserved: 1, updatedAt: new Date(0) })))
    expect((await cache.stockOf(['a', 'b'], load)).get('a')!.stock).toBe(5)
    stock = 4
    now = 200
    expect((await cache.stockOf(['a', 'b', 'c'], load)).get('a')!.stock).toBe(5)
    now = 251
    expect((await cache.stockOf(['a', 'b', 'c'], load)).get('a')!.stock).toBe(4)
    expect(asked).toEqual([['a', 'b'], ['c'], ['a', 'b']])
  })

  test('a page asked for by many at once is read once', async () => {
    const cache = new ListCache<string[]>()
    cache['listening'] = true
    let loads = 0
    const load = async () => (loads++, await Bun.sleep(20), ['p1'])
    const answers = await Promise.all(Array.from({ length: 10 }, () => cache.get('k', load, ids)))
    expect(loads).toBe(1)
    expect(answers.every((a) => a.value[0] === 'p1' && !a.cached)).toBe(true)
  })

  test('a read that began before a change is not joined by a request after it', async () => {
    const cache = new ListCache<string[]>()
    cache['listening'] = true
    let release: (v: string[]) => void = () => {}
    const first = cache.get('k', () => new Promise<string[]>((r) => (release = r)), ids)
    cache.changed('*')
    const second = await cache.get('k', async () => ['after'], ids)
    expect(second.value).toEqual(['after'])
    release(['before'])
    expect((await first).value).toEqual(['before'])
    // The second is kept; the first, begun before the change, is not.
    expect((await cache.get('k', async () => ['again'], ids)).value).toEqual(['after'])
  })

  test('bounded: the oldest entry goes first', async () => {
    const cache = new ListCache<string[]>({ maxEntries: 2 })
    cache['listening'] = true
    let loads = 0
    const load = async () => (loads++, ['p'])
    for (const key of ['a', 'b', 'c']) await cache.get(key, load, ids)
    expect(cache.stats.entries).toBe(2)
    await cache.get('c', load, ids)
    await cache.get('a', load, ids)
    expect(loads).toBe(4)
  })

  test('a product change drops its pages; another product change keeps them', async () => {
    const cache = new ListCache<string[]>()
    cache['listening'] = true
    let loads = 0
    const load = async () => (loads++, ['p1', 'p2'])
    await cache.get('k', load, ids)
    cache.changed('p3')
    await cache.get('k', load, ids)
    expect(loads).toBe(1)
    cache.changed('p2')
    await cache.get('k', load, ids)
    expect(loads).toBe(2)
    await cache.stop()
    expect(cache.stats.entries).toBe(0)
    void testLog
  })
})
