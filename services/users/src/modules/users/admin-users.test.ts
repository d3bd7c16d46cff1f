import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { call } from '@shop/shared/testing'
import { createTestUsers } from '../../testing.ts'
import * as repo from './repository.ts'

const ADMIN = { email: 'boss@shop.test', password: 'admin password 1' }
let t: Awaited<ReturnType<typeof createTestUsers>>
let adminToken: string
let customerToken: string

/** An account written straight to the table (the list needs many; argon2 would take seconds). */
async function account(email: string, name: string) {
  const id = Bun.randomUUIDv7()
  await repo.insert(t.db.sql, { id, email, passwordHash: 'unused', name, role: 'customer' })
  return id
}

beforeAll(async () => {
  t = await createTestUsers({ admin: ADMIN })
  adminToken = (await call(t.app, 'POST', '/api/auth/login', { body: ADMIN })).body.accessToken
  const customerId = await account('plain.customer@example.com', 'Plain Customer')
  customerToken = await t.deps.keys.signAccessToken({ userId: customerId, role: 'customer', sessionId: Bun.randomUUIDv7() })
})
afterAll(() => t.close())

type Item = { id: string; email: string; name: string; role: string; createdAt: string }
const list = async (query: string, token = adminToken) => call(t.app, 'GET', `/api/admin/users${query}`, { token })
const emails = (items: Item[]) => items.map((i) => i.email)

describe('GET /api/admin/users', () => {
  test('without a token 401; a customer 403', async () => {
    expect((await call(t.app, 'GET', '/api/admin/users')).status).toBe(401)
    const customer = await list('', customerToken)
    expect(customer.status).toBe(403)
    expect(customer.body.code).toBe('forbidden')
  })

  test('finds users whose email starts with q, in any case, with the fields of a list row', async () => {
    const id = await account('grace.hopper@navy.test', 'Rear Admiral')
    await account('hopper.grace@navy.test', 'Someone Else')
    const res = await list('?q=GRACE.H')
    expect(res.status).toBe(200)
    expect(res.body).toEqual({
      items: [{ id, email: 'grace.hopper@navy.test', name: 'Rear Admiral', role: 'customer', createdAt: expect.any(String) }],
      nextCursor: null,
    })
  })

  test('finds users whose name starts with q, in any case (also beyond ASCII), newest first', async () => {
    const older = await account('first@names.test', 'Émilie Durand')
    const newer = await account('second@names.test', 'émile zola')
    await account('third@names.test', 'Zola Émile')
    const res = await list(`?q=${encodeURIComponent('ÉMIL')}`)
    expect(res.body.items.map((i: Item) => i.id)).toEqual([newer, older])
    // Typed decomposed (E + combining acute), found as stored (NFC).
    expect((await list(`?q=${encodeURIComponent('E\u0301mil')}`)).body.items).toHaveLength(2)
  })

  test('LIKE wildcards and the escape character in q are plain characters', async () => {
    await account('percent@wild.test', '100% Cotton')
    await account('hundred@wild.test', '100 Cotton')
    await account('under_score@wild.test', 'Under Score')
    await account('underxscore@wild.test', 'Underx Score')
    await account('back\\slash@wild.test', 'Back Slash')
    expect(emails((await list(`?q=${encodeURIComponent('100%')}`)).body.items)).toEqual(['percent@wild.test'])
    expect(emails((await list(`?q=${encodeURIComponent('under_')}`)).body.items)).toEqual(['under_score@wild.test'])
    expect(emails((await list(`?q=${encodeURIComponent('back\\')}`)).body.items)).toEqual(['back\\slash@wild.test'])
    expect((await list(`?q=${encodeURIComponent('%')}`)).body.items).toEqual([])
    expect((await list(`?q=${encodeURIComponent('_')}`)).body.items).toEqual([])
  })

  test('pages over more users than the limit without duplicates or gaps, newest first', async () => {
    const ids: string[] = []
    for (let i = 0; i < 23; i++) ids.push(await account(`pager${i}@pages.test`, `Pager ${i}`))
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const res = await list(`?q=pager&limit=5${cursor ? `&cursor=${cursor}` : ''}`)
      expect(res.status).toBe(200)
      expect(res.body.items.length).toBeLessThanOrEqual(5)
      seen.push(...res.body.items.map((i: Item) => i.id))
      cursor = res.body.nextCursor
      pages++
    } while (cursor && pages < 10)
    expect(pages).toBe(5)
    expect(seen).toEqual([...ids].reverse())
    // Without q: everyone, the admin account and the customer too.
    const all = await list('?limit=100')
    expect(all.body.items.length).toBeGreaterThanOrEqual(23 + 2)
    expect(new Set(all.body.items.map((i: Item) => i.id)).size).toBe(all.body.items.length)
  })

  test('limit defaults to 20, at most 100; a bad limit or cursor is a 422 naming it', async () => {
    for (let i = 0; i < 21; i++) await account(`many${i}@default.test`, 'Many')
    const first = await list('?q=many')
    expect(first.body.items).toHaveLength(20)
    expect(first.body.nextCursor).toBeString()
    for (const [query, field] of [
      ['?limit=0', 'limit'],
      ['?limit=101', 'limit'],
      ['?limit=abc', 'limit'],
      ['?cursor=not-a-cursor', 'cursor'],
      [`?cursor=${Buffer.from(JSON.stringify("x' or 1=1")).toString('base64url')}`, 'cursor'],
      [`?q=${'a'.repeat(255)}`, 'q'],
      ['?q=a%00b', 'q'],
    ]) {
      const res = await list(query!)
      expect({ query, status: res.status, field: res.body.errors?.[0]?.field }).toEqual({ query, status: 422, field })
    }
  })

  test("the prefix search is served by the text_pattern_ops indexes (the repository's own statement, explained)", async () => {
    const plan = await t.db.sql.begin(async (tx) => {
      // A table this small would be read whole; the question is whether an index can serve it.
      await tx`set local enable_seqscan = off`
      const rows = await tx`explain ${repo.search(tx, { prefix: 'gra%', limit: 21 })}`
      return rows.map((r) => Object.values(r)[0]).join('\n')
    })
    expect(plan).toContain('users_email_prefix')
    expect(plan).toContain('users_name_prefix')
    // The prefix became a range of the index ("gra%" stays literal: up to "gra%" and after).
    expect(plan).toContain("~>=~ 'gra%'::text")
  })
})
