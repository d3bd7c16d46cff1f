import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { call } from '@shop/shared/testing'
import { createTestUsers } from '../../testing.ts'
import * as users from '../users/repository.ts'
import { MAX_ADDRESSES_PER_USER } from './model.ts'

let t: Awaited<ReturnType<typeof createTestUsers>>

beforeAll(async () => {
  t = await createTestUsers()
})
afterAll(() => t.close())

/** A customer account written straight to the table (no argon2 hash to wait for) and a token for it. */
async function customer() {
  const id = Bun.randomUUIDv7()
  await users.insert(t.db.sql, { id, email: `${id}@example.com`, passwordHash: 'unused', name: 'Customer', role: 'customer' })
  const token = await t.deps.keys.signAccessToken({ userId: id, role: 'customer', sessionId: Bun.randomUUIDv7() })
  return { id, token }
}

const HOME = { name: 'Ada Lovelace', line1: '12 St James’s Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' }

const add = (token: string, body: unknown) => call(t.app, 'POST', '/api/users/me/addresses', { token, body })
const fieldsOf = (res: { body: { errors?: { field: string }[] } }) => res.body.errors?.map((e) => e.field)

describe('the address book', () => {
  test('add, read, list newest first, change, clear an optional field, delete', async () => {
    const c = await customer()
    const created = await add(c.token, { ...HOME, line2: ' Flat 3 ', region: 'Greater London', phone: '+44 20 7946 0958' })
    expect(created.status).toBe(201)
    expect(created.body).toEqual({
      id: expect.any(String),
      ...HOME,
      line2: 'Flat 3',
      region: 'Greater London',
      phone: '+44 20 7946 0958',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    })
    expect(new Date(created.body.createdAt).toISOString()).toBe(created.body.createdAt)

    const second = await add(c.token, { name: 'Ada', line1: 'Unter den Linden 1', city: 'Berlin', postalCode: '10117', country: 'DE' })
    expect(second.status).toBe(201)
    // Absent optional fields are null in answers, not missing.
    expect(second.body).toMatchObject({ line2: null, region: null, phone: null })

    const list = await call(t.app, 'GET', '/api/users/me/addresses', { token: c.token })
    expect(list.status).toBe(200)
    expect(list.body.items.map((a: { id: string }) => a.id)).toEqual([second.body.id, created.body.id])
    expect(list.body.nextCursor).toBeNull()

    const one = await call(t.app, 'GET', `/api/users/me/addresses/${created.body.id}`, { token: c.token })
    expect(one.status).toBe(200)
    expect(one.body).toEqual(created.body)

    const changed = await call(t.app, 'PATCH', `/api/users/me/addresses/${created.body.id}`, {
      token: c.token,
      body: { city: '  Westminster ', phone: null, line2: '' },
    })
    expect(changed.status).toBe(200)
    expect(changed.body).toMatchObject({ ...HOME, city: 'Westminster', phone: null, line2: null, region: 'Greater London' })
    expect(changed.body.updatedAt > created.body.updatedAt).toBe(true)

    const deleted = await call(t.app, 'DELETE', `/api/users/me/addresses/${created.body.id}`, { token: c.token })
    expect(deleted.status).toBe(204)
    expect(await deleted.body).toBeUndefined()
    expect((await call(t.app, 'GET', `/api/users/me/addresses/${created.body.id}`, { token: c.token })).status).toBe(404)
    expect((await call(t.app, 'DELETE', `/api/users/me/addresses/${created.body.id}`, { token: c.token })).status).toBe(404)
    const after = await call(t.app, 'GET', '/api/users/me/addresses', { token: c.token })
    expect(after.body.items.map((a: { id: string }) => a.id)).toEqual([second.body.id])
  })

  test('a new customer has an empty book', async () => {
    const c = await customer()
    expect((await call(t.app, 'GET', '/api/users/me/addresses', { token: c.token })).body).toEqual({ items: [], nextCursor: null })
  })

  test('text is trimmed and stored in NFC; lengths count characters as people do (200 emoji with skin tones fit line1)', async () => {
    const c = await customer()
    const decomposed = 'Zoe\u0308'
    const res = await add(c.token, { ...HOME, name: `  ${decomposed}  `, line1: '👍🏽'.repeat(200) })
    expect(res.status).toBe(201)
    expect(res.body.name).toBe('Zoë')
    expect(res.body.line1).toBe('👍🏽'.repeat(200))
    const [row] = await t.db.sql`select name from addresses where id = ${res.body.id}`
    expect(row!.name).toBe('Zo\u00eb')
  })

  test.each([
    ['country not assigned by ISO', { country: 'XX' }, 'country'],
    ['country in lower case (codes are taken as written, in capitals)', { country: 'de' }, 'country'],
    ['country as alpha-3', { country: 'DEU' }, 'country'],
    ['empty name', { name: '' }, 'name'],
    ['blank name', { name: '   ' }, 'name'],
    ['line1 over 200 characters', { line1: 'x'.repeat(201) }, 'line1'],
    ['line1 of 201 emoji', { line1: '👍🏽'.repeat(201) }, 'line1'],
    ['line1 that NFC lengthens past the bound (one character and 500 marks that each become two)', { line1: `a${'\u0344'.repeat(500)}` }, 'line1'],
    ['a NUL byte', { line1: 'Main\u0000Street 1' }, 'line1'],
    ['a newline in one line', { city: 'Lon\ndon' }, 'city'],
    ['a missing city', { city: undefined }, 'city'],
    ['a postal code with other characters', { postalCode: 'SW1Y;4JH' }, 'postalCode'],
    ['a postal code over 20 characters', { postalCode: '1'.repeat(21) }, 'postalCode'],
    ['a phone with letters', { phone: 'call me maybe' }, 'phone'],
    ['a phone with 3 digits', { phone: '112' }, 'phone'],
    ['a phone with 16 digits', { phone: '+1234567890123456' }, 'phone'],
    ['region over 100 characters', { region: 'r'.repeat(101) }, 'region'],
  ])('%s is a 422 naming the field', async (_, change, field) => {
    const c = await customer()
    const res = await add(c.token, { ...HOME, ...change })
    expect(res.status).toBe(422)
    expect(res.body.code).toBe('validation_failed')
    expect(res.headers.get('content-type')).toContain('application/problem+json')
    expect(fieldsOf(res)).toContain(field)
    expect((await call(t.app, 'GET', '/api/users/me/addresses', { token: c.token })).body.items).toEqual([])
  })

  test('every wrong field is named at once', async () => {
    const c = await customer()
    const res = await add(c.token, { ...HOME, name: ' ', country: 'XX', phone: '12' })
    expect(res.status).toBe(422)
    expect(fieldsOf(res)?.sort()).toEqual(['country', 'name', 'phone'])
  })

  test('a change is validated like a new address; an empty change or an unknown field is a 422', async () => {
    const c = await customer()
    const { body: address } = await add(c.token, HOME)
    const patch = (body: unknown) => call(t.app, 'PATCH', `/api/users/me/addresses/${address.id}`, { token: c.token, body })
    for (const [body, field] of [
      [{ country: 'XX' }, 'country'],
      [{ name: '  ' }, 'name'],
      [{ name: null }, 'name'],
      [{ line1: 'x'.repeat(201) }, 'line1'],
      [{ postalCode: '' }, 'postalCode'],
    ] as const) {
      const res = await patch(body)
      expect({ body, status: res.status, fields: fieldsOf(res) }).toEqual({ body, status: 422, fields: [field] })
    }
    expect((await patch({})).status).toBe(422)
    expect((await patch({ street: 'x' })).status).toBe(422)
    expect((await call(t.app, 'GET', `/api/users/me/addresses/${address.id}`, { token: c.token })).body).toEqual(address)
  })

  test('a malformed id is a 422 naming id; an unknown one a 404', async () => {
    const c = await customer()
    const bad = await call(t.app, 'PATCH', '/api/users/me/addresses/42', { token: c.token, body: { city: 'X' } })
    expect(bad.status).toBe(422)
    expect(fieldsOf(bad)).toEqual(['id'])
    const unknown = await call(t.app, 'PATCH', `/api/users/me/addresses/${Bun.randomUUIDv7()}`, { token: c.token, body: { city: 'X' } })
    expect(unknown.status).toBe(404)
    expect(unknown.body.code).toBe('not_found')
  })

  test('every route needs a token: 401 problem without one', async () => {
    const id = Bun.randomUUIDv7()
    for (const [method, path, body] of [
      ['GET', '/api/users/me/addresses', undefined],
      ['POST', '/api/users/me/addresses', HOME],
      ['GET', `/api/users/me/addresses/${id}`, undefined],
      ['PATCH', `/api/users/me/addresses/${id}`, { city: 'X' }],
      ['DELETE', `/api/users/me/addresses/${id}`, undefined],
    ] as const) {
      const res = await call(t.app, method, path, { body })
      expect({ method, path, status: res.status }).toEqual({ method, path, status: 401 })
      expect(res.headers.get('www-authenticate')).toBe('Bearer')
    }
  })
})

describe("another user's address", () => {
  test('is a 404 (never a 403) to read, change or delete, and stays as it was', async () => {
    const owner = await customer()
    const other = await customer()
    const { body: address } = await add(owner.token, HOME)
    const path = `/api/users/me/addresses/${address.id}`
    const read = await call(t.app, 'GET', path, { token: other.token })
    const changed = await call(t.app, 'PATCH', path, { token: other.token, body: { name: 'Mallory' } })
    const deleted = await call(t.app, 'DELETE', path, { token: other.token })
    for (const res of [read, changed, deleted]) {
      expect(res.status).toBe(404)
      expect(res.body.code).toBe('not_found')
    }
    // The same answer as an id that exists nowhere: nothing tells the two apart.
    const nowhere = await call(t.app, 'GET', `/api/users/me/addresses/${Bun.randomUUIDv7()}`, { token: other.token })
    expect(nowhere.body.detail).toBe(read.body.detail)
    expect((await call(t.app, 'GET', '/api/users/me/addresses', { token: other.token })).body.items).toEqual([])
    expect((await call(t.app, 'GET', path, { token: owner.token })).body).toEqual(address)
  })
})

describe(`at most ${MAX_ADDRESSES_PER_USER} addresses`, () => {
  test('the 21st is a 409 address_limit_reached; after a delete there is room again', async () => {
    const c = await customer()
    for (let i = 0; i < MAX_ADDRESSES_PER_USER; i++) expect((await add(c.token, { ...HOME, line1: `${i} Main Street` })).status).toBe(201)
    const over = await add(c.token, { ...HOME, line1: 'One too many' })
    expect(over.status).toBe(409)
    expect(over.body.code).toBe('address_limit_reached')
    expect(over.headers.get('content-type')).toContain('application/problem+json')
    const list = await call(t.app, 'GET', '/api/users/me/addresses', { token: c.token })
    expect(list.body.items).toHaveLength(MAX_ADDRESSES_PER_USER)
    expect((await call(t.app, 'DELETE', `/api/users/me/addresses/${list.body.items[5].id}`, { token: c.token })).status).toBe(204)
    expect((await add(c.token, { ...HOME, line1: 'Room again' })).status).toBe(201)
    expect((await add(c.token, { ...HOME, line1: 'Full again' })).status).toBe(409)
  })

  test('25 concurrent adds to an empty book end with exactly 20: twenty 201s and five 409s', async () => {
    const c = await customer()
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => add(c.token, { ...HOME, line1: `${i} Race Street` })))
    const statuses = results.map((r) => r.status).sort()
    expect(statuses.filter((s) => s === 201)).toHaveLength(MAX_ADDRESSES_PER_USER)
    expect(statuses.filter((s) => s === 409)).toHaveLength(25 - MAX_ADDRESSES_PER_USER)
    const [row] = await t.db.sql<{ count: number }[]>`select count(*)::int as count from addresses where user_id = ${c.id}`
    expect(row!.count).toBe(MAX_ADDRESSES_PER_USER)
  })

  test("the database holds the limit whoever inserts (a trigger), and the other users' books are not counted", async () => {
    const a = await customer()
    const b = await customer()
    await add(b.token, HOME)
    const insert = (userId: string) => t.db.sql`
      insert into addresses (id, user_id, name, line1, city, postal_code, country)
      values (${Bun.randomUUIDv7()}, ${userId}, 'n', 'l', 'c', '1', 'DE')`
    for (let i = 0; i < MAX_ADDRESSES_PER_USER; i++) await insert(a.id)
    const error = await insert(a.id).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: '23514', constraint_name: 'addresses_per_user_limit' })
    expect((await add(b.token, HOME)).status).toBe(201)
  })
})

describe('database constraints, the backstop', () => {
  test.each([
    ['a lower-case country', { country: 'de' }],
    ['a blank optional field', { line2: '' }],
    ['a phone with letters', { phone: 'abc' }],
    ['a line1 over the bound', { line1: 'x'.repeat(801) }],
  ])('%s is refused by a CHECK', async (_, change) => {
    const c = await customer()
    const row = { id: Bun.randomUUIDv7(), user_id: c.id, name: 'n', line1: 'l', city: 'c', postal_code: '1', country: 'DE', ...change }
    const error = await t.db.sql`insert into addresses ${t.db.sql(row)}`.catch((e: unknown) => e)
    expect(error).toMatchObject({ code: '23514' })
  })
})
