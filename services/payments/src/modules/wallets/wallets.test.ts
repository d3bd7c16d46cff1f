import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { call } from '@shop/shared/testing'
import { createTestPayments, type TestPayments } from '../../testing.ts'

let t: TestPayments
beforeAll(async () => {
  t = await createTestPayments({ maxDeposit: 500_000 })
})
afterEach(async () => {
  expect(await t.unbalancedWallets()).toEqual([])
})
afterAll(() => t.close())

async function customer(currency: string | null = 'EUR') {
  const userId = crypto.randomUUID()
  const token = await t.tokens.sign(userId)
  if (currency) expect((await call(t.app, 'POST', '/api/wallet', { token, body: { currency } })).status).toBe(201)
  return { userId, token }
}

const deposit = (token: string, amount: unknown, key?: string) =>
  call(t.app, 'POST', '/api/wallet/deposits', {
    token,
    body: { amount },
    headers: key === undefined ? {} : { 'idempotency-key': key },
  })

describe('wallet', () => {
  test('is created once per user, in a fixed currency, empty', async () => {
    const { token } = await customer(null)
    const missing = await call(t.app, 'GET', '/api/wallet', { token })
    expect(missing.status).toBe(404)
    expect(missing.body.code).toBe('no_wallet')
    const created = await call(t.app, 'POST', '/api/wallet', { token, body: { currency: 'USD' } })
    expect(created.status).toBe(201)
    // The largest top-up comes with the wallet, so a form can say it before sending.
    expect(created.body).toMatchObject({ currency: 'USD', balance: 0, available: 0, maxDeposit: 500_000 })
    const again = await call(t.app, 'POST', '/api/wallet', { token, body: { currency: 'EUR' } })
    expect(again.status).toBe(409)
    expect(again.body.code).toBe('wallet_exists')
    const read = await call(t.app, 'GET', '/api/wallet', { token })
    expect(read.body).toEqual(created.body)
  })

  test('concurrent creations make one wallet', async () => {
    const { token, userId } = await customer(null)
    const results = await Promise.all(Array.from({ length: 5 }, () => call(t.app, 'POST', '/api/wallet', { token, body: { currency: 'EUR' } })))
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409])
    const [row] = await t.db.sql`select count(*)::int as n from wallets where user_id = ${userId}`
    expect(row!.n).toBe(1)
  })

  test.each([['eur'], ['EURO'], ['XYZ'], [12]])('currency %p is a 422 naming currency', async (currency) => {
    const { token } = await customer(null)
    const res = await call(t.app, 'POST', '/api/wallet', { token, body: { currency } })
    expect(res.status).toBe(422)
    expect(res.body.errors[0].field).toBe('currency')
  })

  test('without a token: 401', async () => {
    expect((await call(t.app, 'GET', '/api/wallet')).status).toBe(401)
    expect((await call(t.app, 'POST', '/api/wallet', { body: { currency: 'EUR' } })).status).toBe(401)
  })
})

describe('deposits', () => {
  test('credit the wallet and answer the ledger entry', async () => {
    const { token } = await customer()
    const res = await deposit(token, 1999, 'dep-1')
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({ kind: 'deposit', amount: 1999, balanceAfter: 1999, currency: 'EUR', orderId: null })
    const wallet = await call(t.app, 'GET', '/api/wallet', { token })
    expect(wallet.body).toMatchObject({ balance: 1999, available: 1999 })
  })

  test('the same key and body replays the entry and books nothing', async () => {
    const { token } = await customer()
    const first = await deposit(token, 500, 'same-key')
    const second = await deposit(token, 500, 'same-key')
    expect(second.status).toBe(201)
    expect(second.headers.get('idempotent-replayed')).toBe('true')
    expect(second.body).toEqual(first.body)
    expect((await call(t.app, 'GET', '/api/wallet', { token })).body.balance).toBe(500)
  })

  test('the same key with another amount is a 422 and books nothing', async () => {
    const { token } = await customer()
    await deposit(token, 500, 'mismatch')
    const res = await deposit(token, 600, 'mismatch')
    expect(res.status).toBe(422)
    expect(res.body.code).toBe('idempotency_key_reused')
    expect((await call(t.app, 'GET', '/api/wallet', { token })).body.balance).toBe(500)
  })

  test('a missing key is a 400', async () => {
    const { token } = await customer()
    const res = await deposit(token, 500)
    expect(res.status).toBe(400)
    expect(res.body.code).toBe('idempotency_key_required')
  })

  test('concurrent requests with one key book once; the others get 409 or the replay', async () => {
    const { token } = await customer()
    const results = await Promise.all(Array.from({ length: 10 }, () => deposit(token, 700, 'storm')))
    const statuses = results.map((r) => r.status)
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true)
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1)
    expect(results.filter((r) => r.status === 409).every((r) => r.body.code === 'idempotency_key_in_flight')).toBe(true)
    expect((await call(t.app, 'GET', '/api/wallet', { token })).body.balance).toBe(700)
  })

  test('a retry whose idempotency record was lost still books nothing twice (the ledger key guards)', async () => {
    const { token, userId } = await customer()
    const first = await deposit(token, 800, 'lost-record')
    await t.db.sql`delete from idempotency_keys where user_id = ${userId}`
    const second = await deposit(token, 800, 'lost-record')
    expect(second.status).toBe(201)
    expect(second.body.id).toBe(first.body.id)
    expect((await call(t.app, 'GET', '/api/wallet', { token })).body.balance).toBe(800)
  })

  test('keys are per user: two users may use the same key', async () => {
    const a = await customer()
    const b = await customer()
    expect((await deposit(a.token, 100, 'k')).status).toBe(201)
    const res = await deposit(b.token, 200, 'k')
    expect(res.status).toBe(201)
    expect(res.headers.get('idempotent-replayed')).toBeNull()
  })

  test.each([[0], [-5], [19.99], ['1999'], [500_001], [null], [Number.MAX_SAFE_INTEGER + 2]])(
    'amount %p is a 422 naming amount, and nothing is booked',
    async (amount) => {
      const { token } = await customer()
      const res = await deposit(token, amount, `bad-${String(amount)}`)
      expect(res.status).toBe(422)
      expect(res.body.errors[0].field).toBe('amount')
      expect((await call(t.app, 'GET', '/api/wallet', { token })).body.balance).toBe(0)
    },
  )

  test('without a wallet: 404 no_wallet', async () => {
    const { token } = await customer(null)
    const res = await deposit(token, 100, 'no-wallet')
    expect(res.status).toBe(404)
    expect(res.body.code).toBe('no_wallet')
  })

  test('the ledger is append-only at the database level', async () => {
    const { token } = await customer()
    const entry = (await deposit(token, 100, 'append')).body
    expect(t.db.sql`update ledger_entries set amount = 1 where id = ${entry.id}`.execute()).rejects.toThrow('append-only')
    expect(t.db.sql`delete from ledger_entries where id = ${entry.id}`.execute()).rejects.toThrow('append-only')
  })

  test('a balance below zero is impossible at the database level', async () => {
    const { userId } = await customer()
    expect(t.db.sql`update wallets set balance = balance - 1 where user_id = ${userId}`.execute()).rejects.toThrow('check constraint')
  })
})

describe('transactions', () => {
  test('pages newest first without skipping or repeating, even while deposits arrive', async () => {
    const { token } = await customer()
    for (let i = 1; i <= 7; i++) await deposit(token, i, `page-${i}`)
    const seen: number[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const res: { status: number; body: { items: { amount: number }[]; nextCursor: string | null } } = await call(
        t.app,
        'GET',
        `/api/wallet/transactions?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        { token },
      )
      expect(res.status).toBe(200)
      seen.push(...res.body.items.map((e) => e.amount))
      cursor = res.body.nextCursor
      if (pages++ === 0) await deposit(token, 100, 'page-new') // newer than the first page: not in this walk
    } while (cursor)
    expect(seen).toEqual([7, 6, 5, 4, 3, 2, 1])
    expect(pages).toBe(3)
  })

  test('another user sees only their own entries', async () => {
    const a = await customer()
    const b = await customer()
    await deposit(a.token, 100, 'mine')
    const res = await call(t.app, 'GET', '/api/wallet/transactions', { token: b.token })
    expect(res.body).toEqual({ items: [], nextCursor: null })
  })

  test.each([['limit=0', 'limit'], ['limit=101', 'limit'], ['limit=abc', 'limit'], ['cursor=garbage', 'cursor']])(
    '%s is a 422 naming %s',
    async (query, field) => {
      const { token } = await customer()
      const res = await call(t.app, 'GET', `/api/wallet/transactions?${query}`, { token })
      expect(res.status).toBe(422)
      expect(res.body.errors[0].field).toBe(field)
    },
  )
})
