/**
 * Top-ups through Stripe on the real Postgres: the outgoing API calls go to a stand-in that checks
 * what the official package sends; the webhooks are signed the way Stripe signs them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { ConfigError } from '@shop/shared/runtime/config'
import { call, testLog } from '@shop/shared/testing'
import { Registry } from '@shop/shared/runtime/metrics'
import { readConfig } from '../../config.ts'
import { balanceOf, createTestPayments, type TestPayments } from '../../testing.ts'
import { demoProvider, stripeProvider } from './provider.ts'
import { createTopUpsService } from './service.ts'
import { STAND_IN_PUBLISHABLE_KEY, STAND_IN_SECRET_KEY, STAND_IN_WEBHOOK_SECRET, startStripeStandIn, type StripeStandIn } from './stripe-stand-in.fixture.ts'

let stripe: StripeStandIn
let t: TestPayments
const provider = () =>
  stripeProvider({ secretKey: STAND_IN_SECRET_KEY, webhookSecret: STAND_IN_WEBHOOK_SECRET, publishableKey: STAND_IN_PUBLISHABLE_KEY, apiUrl: stripe.url })

beforeAll(async () => {
  stripe = startStripeStandIn()
  t = await createTestPayments({ provider: provider() })
})
afterEach(async () => {
  expect(await t.unbalancedWallets()).toEqual([])
})
afterAll(async () => {
  await t.close()
  stripe.stop()
})

async function customer(currency = 'EUR') {
  const userId = crypto.randomUUID()
  const token = await t.tokens.sign(userId)
  expect((await call(t.app, 'POST', '/api/wallet', { token, body: { currency } })).status).toBe(201)
  return { userId, token }
}

const topUp = (token: string, amount: unknown, key: string = crypto.randomUUID()) =>
  call(t.app, 'POST', '/api/wallet/top-ups', { token, body: { amount }, headers: { 'idempotency-key': key } })

/**
 * Delivers a webhook as Stripe does: the raw JSON body with its length, its Stripe-Signature
 * (`chunked`: without a Content-Length, as a proxy may forward it).
 */
async function deliver(payload: string, signature?: string, chunked = false) {
  const bytes = new TextEncoder().encode(payload)
  const response = await t.app.handle(
    new Request('http://localhost/api/payments/webhooks/stripe', {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        ...(chunked ? {} : { 'content-length': String(bytes.length) }),
        ...(signature === undefined ? {} : { 'stripe-signature': signature }),
      },
      body: chunked ? new Blob([bytes]).stream() : bytes,
    }),
  )
  return { status: response.status, body: await response.json() }
}

const signed = async (payload: string, options?: Parameters<StripeStandIn['sign']>[1]) => deliver(payload, await stripe.sign(payload, options))

async function pendingTopUp(amount = 2500, currency = 'EUR') {
  const who = await customer(currency)
  const res = await topUp(who.token, amount)
  expect(res.status).toBe(201)
  const row = (await t.db.sql<{ providerRef: string }[]>`select provider_ref from top_ups where id = ${res.body.id}`)[0]!
  return { ...who, topUp: res.body, intentId: row.providerRef }
}

const statusOf = async (id: string) => (await t.db.sql<{ status: string }[]>`select status from top_ups where id = ${id}`)[0]!.status
const creditsOf = async (topUpId: string) =>
  (await t.db.sql<{ n: number }[]>`select count(*)::int as n from ledger_entries where deposit_key = ${'top-up:' + topUpId}`)[0]!.n

describe('a Stripe top-up', () => {
  test('creates one PaymentIntent for the amount in the wallet currency, keyed from the top-up; a retry makes no second', async () => {
    const { token, userId } = await customer()
    const key = crypto.randomUUID()
    const before = stripe.creates.length
    const first = await topUp(token, 2500, key)
    expect(first.status).toBe(201)
    expect(first.body).toMatchObject({ amount: 2500, currency: 'EUR', status: 'pending', provider: 'stripe', demo: false, ledgerEntryId: null })
    expect(first.body.clientSecret).toMatch(/^pi_\w+_secret_\w+$/)
    // What the package really sent.
    expect(stripe.creates.slice(before)).toEqual([
      { amount: 2500, currency: 'eur', idempotencyKey: `shop-top-up-${first.body.id}`, metadata: { topUpId: first.body.id, userId }, automaticPaymentMethods: 'true', allowRedirects: 'never' },
    ])
    const again = await topUp(token, 2500, key)
    expect(again.body.id).toBe(first.body.id)
    expect(again.body.clientSecret).toBe(first.body.clientSecret)
    // The same key for another amount is refused, not a second payment.
    const other = await topUp(token, 2600, key)
    expect(other.status).toBe(422)
    expect(other.body.code).toBe('idempotency_key_reused')
    expect(stripe.creates.length).toBe(before + 1)
    expect(await balanceOf(t, userId)).toBe(0)
    const read = await call(t.app, 'GET', `/api/wallet/top-ups/${first.body.id}`, { token })
    expect(read.body).toEqual(first.body)
  })

  test('even with its idempotency record gone, the same key finds the same top-up and the same intent', async () => {
    const { userId } = await customer()
    const service = createTopUpsService({ sql: t.db.sql, log: testLog, provider: provider() })
    const key = crypto.randomUUID()
    const [a, b] = await Promise.all([service.create(userId, 1500, key), service.create(userId, 1500, key)])
    expect(a.id).toBe(b.id)
    const intents = new Set(stripe.creates.filter((c) => c.metadata.topUpId === a.id).map((c) => c.idempotencyKey))
    expect(intents).toEqual(new Set([`shop-top-up-${a.id}`]))
    expect([...stripe.intents.values()].filter((i) => i.metadata.topUpId === a.id)).toHaveLength(1)
  })

  test('JPY amounts go to Stripe as they are (a zero-decimal currency: minor unit = yen)', async () => {
    const { topUp: made } = await pendingTopUp(3000, 'JPY')
    expect(stripe.creates.find((c) => c.metadata.topUpId === made.id)).toMatchObject({ amount: 3000, currency: 'jpy' })
  })

  test('Stripe down: 502 provider_unavailable, nothing charged; the retry with the same key makes the one intent', async () => {
    const { token } = await customer()
    const key = crypto.randomUUID()
    stripe.failNext(3) // the first try and the package's two retries
    const down = await topUp(token, 1800, key)
    expect(down.status).toBe(502)
    expect(down.body.code).toBe('provider_unavailable')
    const retried = await topUp(token, 1800, key)
    expect(retried.status).toBe(201)
    expect(retried.body.status).toBe('pending')
    const keys = stripe.creates.filter((c) => c.metadata.topUpId === retried.body.id).map((c) => c.idempotencyKey)
    expect(new Set(keys)).toEqual(new Set([`shop-top-up-${retried.body.id}`]))
    expect([...stripe.intents.values()].filter((i) => i.metadata.topUpId === retried.body.id)).toHaveLength(1)
  })

  test("Stripe refuses the amount: 422 provider_refused with Stripe's words, the top-up cancelled", async () => {
    const { token } = await customer()
    const res = await topUp(token, 10)
    expect(res.status).toBe(422)
    expect(res.body.code).toBe('provider_refused')
    expect(res.body.detail).toContain('at least 0.50')
    const [row] = await t.db.sql`select status from top_ups where amount = 10 order by created_at desc limit 1`
    expect(row!.status).toBe('canceled')
  })
})

describe('the webhook', () => {
  test('payment_intent.succeeded credits the wallet once; the repeated event changes nothing', async () => {
    const { userId, token, topUp: made, intentId } = await pendingTopUp(2500)
    const payload = stripe.event('payment_intent.succeeded', stripe.succeed(intentId))
    const first = await signed(payload)
    expect(first).toEqual({ status: 200, body: { received: true, duplicate: false } })
    expect(await balanceOf(t, userId)).toBe(2500)
    const read = await call(t.app, 'GET', `/api/wallet/top-ups/${made.id}`, { token })
    expect(read.body).toMatchObject({ status: 'succeeded', failureReason: null })
    expect(read.body.clientSecret).toBeUndefined()
    const [entry] = await t.db.sql`select * from ledger_entries where id = ${read.body.ledgerEntryId}`
    expect(entry).toMatchObject({ kind: 'deposit', amount: 2500, depositKey: `top-up:${made.id}` })
    // The app hears of it on its live stream, through orders.
    const [event] = await t.db.sql`select name, payload from outbox where payload->>'topUpId' = ${made.id}`
    expect(event).toMatchObject({ name: 'top-up.changed', payload: { userId, status: 'succeeded', amount: 2500, currency: 'EUR', demo: false } })

    // Stripe delivers again (at least once), and again with a fresh signature later; sent in chunks too.
    expect(await signed(payload)).toEqual({ status: 200, body: { received: true, duplicate: true } })
    expect(await deliver(payload, await stripe.sign(payload), true)).toEqual({ status: 200, body: { received: true, duplicate: true } })
    expect(await deliver(payload, await stripe.sign(payload, { timestamp: Math.floor(Date.now() / 1000) - 5 }))).toMatchObject({ status: 200 })
    expect(await balanceOf(t, userId)).toBe(2500)
    expect(await creditsOf(made.id)).toBe(1)
    // A different event saying the same (a resent success) cannot credit twice either.
    expect((await signed(stripe.event('payment_intent.succeeded', stripe.intents.get(intentId)!))).body.duplicate).toBe(false)
    expect(await balanceOf(t, userId)).toBe(2500)
  })

  test('50 concurrent deliveries of one event credit once', async () => {
    const { userId, topUp: made, intentId } = await pendingTopUp(4200)
    const payload = stripe.event('payment_intent.succeeded', stripe.succeed(intentId))
    const signature = await stripe.sign(payload)
    const results = await Promise.all(Array.from({ length: 50 }, () => deliver(payload, signature)))
    expect(results.every((r) => r.status === 200)).toBe(true)
    expect(results.filter((r) => r.body.duplicate === false)).toHaveLength(1)
    expect(await balanceOf(t, userId)).toBe(4200)
    expect(await creditsOf(made.id)).toBe(1)
  })

  test('a bad signature, a stale timestamp, a missing header or a changed body: 400 and nothing changes', async () => {
    const { userId, topUp: made, intentId } = await pendingTopUp(3100)
    const payload = stripe.event('payment_intent.succeeded', stripe.succeed(intentId))
    const cases = [
      await deliver(payload, await stripe.sign(payload, { secret: 'whsec_someoneelse' })),
      await deliver(payload, await stripe.sign(payload, { timestamp: Math.floor(Date.now() / 1000) - 301 })),
      await deliver(payload),
      await deliver(payload.replace('"amount":3100', '"amount":310000'), await stripe.sign(payload)),
      await deliver(payload, 'garbage'),
    ]
    for (const res of cases) {
      expect(res.status).toBe(400)
      expect(res.body.code).toBe('invalid_signature')
    }
    expect(await balanceOf(t, userId)).toBe(0)
    expect(await statusOf(made.id)).toBe('pending')
    const [seen] = await t.db.sql`select count(*)::int as n from provider_events where event_id = ${JSON.parse(payload).id}`
    expect(seen!.n).toBe(0)
    // The genuine delivery still works afterwards.
    expect((await signed(payload)).status).toBe(200)
    expect(await balanceOf(t, userId)).toBe(3100)
  })

  test('a failed intent credits nothing; another card succeeding later credits once', async () => {
    const { userId, token, topUp: made, intentId } = await pendingTopUp(1900)
    expect((await signed(stripe.event('payment_intent.payment_failed', stripe.fail(intentId, 'Your card has insufficient funds.')))).status).toBe(200)
    expect(await balanceOf(t, userId)).toBe(0)
    const failed = await call(t.app, 'GET', `/api/wallet/top-ups/${made.id}`, { token })
    expect(failed.body).toMatchObject({ status: 'failed', failureReason: 'Your card has insufficient funds.' })
    // Still payable: the card form keeps its client secret.
    expect(failed.body.clientSecret).toBe(made.clientSecret)
    expect((await signed(stripe.event('payment_intent.succeeded', stripe.succeed(intentId)))).status).toBe(200)
    expect(await balanceOf(t, userId)).toBe(1900)
    expect(await statusOf(made.id)).toBe('succeeded')
  })

  test('events out of order: a failure arriving after the success changes nothing', async () => {
    const { userId, topUp: made, intentId } = await pendingTopUp(2200)
    const failedFirst = stripe.event('payment_intent.payment_failed', stripe.fail(intentId))
    const success = stripe.event('payment_intent.succeeded', stripe.succeed(intentId))
    await signed(success)
    await signed(failedFirst)
    expect(await statusOf(made.id)).toBe('succeeded')
    expect(await balanceOf(t, userId)).toBe(2200)
  })

  test('a success for another amount credits nothing and is counted for an alert', async () => {
    const { userId, topUp: made, intentId } = await pendingTopUp(2700)
    const registry = new Registry()
    const service = createTopUpsService({ sql: t.db.sql, log: testLog, provider: provider(), registry })
    const payload = stripe.event('payment_intent.succeeded', stripe.succeed(intentId, 100))
    await service.receive('stripe', payload, new Headers({ 'stripe-signature': await stripe.sign(payload) }))
    expect(await balanceOf(t, userId)).toBe(0)
    expect(await statusOf(made.id)).toBe('pending')
    expect(await registry.getSingleMetricAsString('shop_top_up_mismatches_total')).toContain('shop_top_up_mismatches_total{provider="stripe"} 1')
  })

  test('canceled marks the top-up; events of other types and of intents not ours are acknowledged and ignored', async () => {
    const { topUp: made, intentId } = await pendingTopUp(1200)
    const intent = stripe.intents.get(intentId)!
    await signed(stripe.event('payment_intent.canceled', { ...intent, status: 'canceled', cancellation_reason: 'abandoned' }))
    expect(await statusOf(made.id)).toBe('canceled')
    expect((await signed(stripe.event('charge.refunded', intent))).status).toBe(200)
    const stranger = { ...intent, id: 'pi_notours', metadata: {} }
    expect((await signed(stripe.event('payment_intent.succeeded', { ...stranger, status: 'succeeded', amount_received: 1200 }))).status).toBe(200)
  })

  test("an intent that is not the top-up's own, naming it in its metadata, credits nothing", async () => {
    const { userId, topUp: made, intentId } = await pendingTopUp(1400)
    const own = stripe.intents.get(intentId)!
    const stranger = { ...own, id: 'pi_stranger', status: 'succeeded', amount_received: 1400 }
    expect((await signed(stripe.event('payment_intent.succeeded', stranger))).status).toBe(200)
    expect(await statusOf(made.id)).toBe('pending')
    expect(await balanceOf(t, userId)).toBe(0)
    // Its own intent's success still credits it.
    await signed(stripe.event('payment_intent.succeeded', stripe.succeed(intentId)))
    expect(await balanceOf(t, userId)).toBe(1400)
  })

  test('a provider this shop does not use: 404', async () => {
    const res = await deliver('{}', 't=1,v1=00')
    expect(res.status).toBe(400)
    const other = await t.app.handle(new Request('http://localhost/api/payments/webhooks/paypal', { method: 'POST', body: '{}' }))
    expect(other.status).toBe(404)
  })
})

describe('the recheck', () => {
  test('asks Stripe about a top-up whose webhook never came, and credits it once', async () => {
    const { userId, topUp: made, intentId } = await pendingTopUp(3300)
    stripe.succeed(intentId)
    const service = createTopUpsService({ sql: t.db.sql, log: testLog, provider: provider(), recheckSeconds: 1 })
    await t.db.sql`update top_ups set created_at = now() - interval '1 minute' where id = ${made.id}`
    expect(await service.recheck()).toBeGreaterThanOrEqual(1)
    expect(await statusOf(made.id)).toBe('succeeded')
    expect(await balanceOf(t, userId)).toBe(3300)
    // The late webhook then changes nothing.
    await signed(stripe.event('payment_intent.succeeded', stripe.intents.get(intentId)!))
    expect(await balanceOf(t, userId)).toBe(3300)
    // Asked again only after its doubled wait.
    const [row] = await t.db.sql`select checks from top_ups where id = ${made.id}`
    expect(row!.checks).toBe(1)
  })

  test('a second pass straight after the first does not ask Stripe about the same top-up again', async () => {
    const { topUp: made, intentId } = await pendingTopUp(3400)
    const service = createTopUpsService({ sql: t.db.sql, log: testLog, provider: provider(), recheckSeconds: 30 })
    await t.db.sql`update top_ups set created_at = now() - interval '1 minute' where id = ${made.id}`
    const asked = () => stripe.calls.filter((c) => c === `GET /v1/payment_intents/${intentId}`).length
    await service.recheck()
    expect(asked()).toBe(1)
    await service.recheck()
    expect(asked()).toBe(1)
    expect(await statusOf(made.id)).toBe('pending')
  })

  test('a top-up that never reached Stripe and is past its expiry is cancelled here; no intent is made for it', async () => {
    const { userId, token } = await customer()
    const id = crypto.randomUUID()
    const [wallet] = await t.db.sql<{ id: string }[]>`select id from wallets where user_id = ${userId}`
    await t.db.sql`insert into top_ups (id, user_id, wallet_id, amount, currency, provider, status, idempotency_key, created_at)
      values (${id}, ${userId}, ${wallet!.id}, 900, 'EUR', 'stripe', 'pending', ${crypto.randomUUID()}, now() - interval '25 hours')`
    const creates = stripe.creates.length
    const service = createTopUpsService({ sql: t.db.sql, log: testLog, provider: provider(), recheckSeconds: 1, expiryHours: 24 })
    expect(await service.recheck()).toBeGreaterThanOrEqual(1)
    expect(stripe.creates.length).toBe(creates)
    const after = await call(t.app, 'GET', `/api/wallet/top-ups/${id}`, { token })
    expect(after.body).toMatchObject({ status: 'canceled', failureReason: 'expired before it reached the payment provider' })
    expect(await balanceOf(t, userId)).toBe(0)
  })

  test('after a switch back to demo, Stripe top-ups made before still settle (webhook and recheck) while the keys stay', async () => {
    const first = await pendingTopUp(2100)
    const second = await pendingTopUp(2300)
    const switched = createTopUpsService({ sql: t.db.sql, log: testLog, provider: demoProvider, providers: [demoProvider, provider()], recheckSeconds: 1 })
    const payload = stripe.event('payment_intent.succeeded', stripe.succeed(first.intentId))
    expect(await switched.receive('stripe', payload, new Headers({ 'stripe-signature': await stripe.sign(payload) }))).toEqual({ received: true, duplicate: false })
    expect(await balanceOf(t, first.userId)).toBe(2100)
    stripe.succeed(second.intentId)
    await t.db.sql`update top_ups set created_at = now() - interval '1 minute' where id = ${second.topUp.id}`
    await switched.recheck()
    expect(await balanceOf(t, second.userId)).toBe(2300)
    // Without the keys, a Stripe webhook is not this shop's.
    const demoOnly = createTopUpsService({ sql: t.db.sql, log: testLog, provider: demoProvider })
    await expect(demoOnly.receive('stripe', payload, new Headers({ 'stripe-signature': await stripe.sign(payload) }))).rejects.toMatchObject({ status: 404 })
  })

  test('cancels an abandoned top-up at Stripe after the expiry, so it can never be paid late', async () => {
    const { userId, topUp: made, intentId } = await pendingTopUp(1600)
    const service = createTopUpsService({ sql: t.db.sql, log: testLog, provider: provider(), recheckSeconds: 1, expiryHours: 24 })
    await t.db.sql`update top_ups set created_at = now() - interval '25 hours' where id = ${made.id}`
    await service.recheck()
    expect(stripe.calls).toContain(`POST /v1/payment_intents/${intentId}/cancel`)
    expect(stripe.intents.get(intentId)!.status).toBe('canceled')
    expect(await statusOf(made.id)).toBe('canceled')
    expect(await balanceOf(t, userId)).toBe(0)
  })

  test('an expired top-up that was paid meanwhile is credited, not cancelled', async () => {
    const { userId, topUp: made, intentId } = await pendingTopUp(1700)
    stripe.succeed(intentId)
    const service = createTopUpsService({ sql: t.db.sql, log: testLog, provider: provider(), recheckSeconds: 1, expiryHours: 24 })
    await t.db.sql`update top_ups set created_at = now() - interval '25 hours' where id = ${made.id}`
    await service.recheck()
    expect(await statusOf(made.id)).toBe('succeeded')
    expect(await balanceOf(t, userId)).toBe(1700)
  })
})

describe('with a real provider', () => {
  test('deposits are refused with 403 deposits_disabled; the wallet says where money comes in', async () => {
    const { token, userId } = await customer()
    const res = await call(t.app, 'POST', '/api/wallet/deposits', { token, body: { amount: 1000 }, headers: { 'idempotency-key': crypto.randomUUID() } })
    expect(res.status).toBe(403)
    expect(res.body.code).toBe('deposits_disabled')
    expect(await balanceOf(t, userId)).toBe(0)
    const wallet = await call(t.app, 'GET', '/api/wallet', { token })
    expect(wallet.body).toMatchObject({ topUpProvider: 'stripe', stripePublishableKey: STAND_IN_PUBLISHABLE_KEY })
  })

  test('the configuration names every missing or malformed Stripe key at start', () => {
    const problems = (env: Record<string, string>) => {
      try {
        readConfig({ PAYMENT_PROVIDER: 'stripe', ...env })
        return []
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError)
        return (error as ConfigError).problems
      }
    }
    expect(problems({})).toEqual([
      'STRIPE_SECRET_KEY is required when PAYMENT_PROVIDER=stripe or another STRIPE_ key is set',
      'STRIPE_WEBHOOK_SECRET is required when PAYMENT_PROVIDER=stripe or another STRIPE_ key is set',
      'STRIPE_PUBLISHABLE_KEY is required when PAYMENT_PROVIDER=stripe or another STRIPE_ key is set',
    ])
    expect(problems({ STRIPE_SECRET_KEY: 'pk_test_x', STRIPE_WEBHOOK_SECRET: 'whsec_x', STRIPE_PUBLISHABLE_KEY: 'pk_test_x' })[0]).toContain('STRIPE_SECRET_KEY must be a secret key')
    expect(problems({ STRIPE_SECRET_KEY: 'sk_live_x', STRIPE_WEBHOOK_SECRET: 'whsec_x', STRIPE_PUBLISHABLE_KEY: 'pk_test_x' })).toEqual([
      'STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY must both be test keys or both live keys',
    ])
    expect(problems({ STRIPE_SECRET_KEY: 'sk_test_x', STRIPE_WEBHOOK_SECRET: 'whsec_x', STRIPE_PUBLISHABLE_KEY: 'pk_test_x' })).toEqual([])
    expect(readConfig({}).PAYMENT_PROVIDER).toBe('demo')
    // Keys kept with demo (to settle earlier Stripe top-ups) are checked the same way.
    expect(problems({ PAYMENT_PROVIDER: 'demo', STRIPE_SECRET_KEY: 'sk_test_x' })).toEqual([
      'STRIPE_WEBHOOK_SECRET is required when PAYMENT_PROVIDER=stripe or another STRIPE_ key is set',
      'STRIPE_PUBLISHABLE_KEY is required when PAYMENT_PROVIDER=stripe or another STRIPE_ key is set',
    ])
    // The secret key never travels in the clear, except to a stand-in on this machine.
    const keys = { STRIPE_SECRET_KEY: 'sk_test_x', STRIPE_WEBHOOK_SECRET: 'whsec_x', STRIPE_PUBLISHABLE_KEY: 'pk_test_x' }
    expect(problems({ ...keys, STRIPE_API_URL: 'http://stripe-proxy.internal:8080' })).toEqual(['STRIPE_API_URL must be https (plain http only to 127.0.0.1 or localhost)'])
    expect(problems({ ...keys, STRIPE_API_URL: 'http://127.0.0.1:4100' })).toEqual([])
  })
})

describe('a demo top-up', () => {
  let demo: TestPayments
  beforeAll(async () => {
    demo = await createTestPayments({ provider: demoProvider })
  })
  afterAll(() => demo.close())

  test('is credited at once, marked demo, once per Idempotency-Key; deposits stay open', async () => {
    const userId = crypto.randomUUID()
    const token = await demo.tokens.sign(userId)
    await call(demo.app, 'POST', '/api/wallet', { token, body: { currency: 'EUR' } })
    const key = crypto.randomUUID()
    const first = await call(demo.app, 'POST', '/api/wallet/top-ups', { token, body: { amount: 5000 }, headers: { 'idempotency-key': key } })
    expect(first.status).toBe(201)
    expect(first.body).toMatchObject({ status: 'succeeded', provider: 'demo', demo: true, amount: 5000 })
    expect(first.body.clientSecret).toBeUndefined()
    const again = await call(demo.app, 'POST', '/api/wallet/top-ups', { token, body: { amount: 5000 }, headers: { 'idempotency-key': key } })
    expect(again.body.id).toBe(first.body.id)
    expect(await balanceOf(demo, userId)).toBe(5000)
    const deposit = await call(demo.app, 'POST', '/api/wallet/deposits', { token, body: { amount: 100 }, headers: { 'idempotency-key': crypto.randomUUID() } })
    expect(deposit.status).toBe(201)
    expect((await call(demo.app, 'GET', '/api/wallet', { token })).body).toMatchObject({ balance: 5100, topUpProvider: 'demo', stripePublishableKey: null })
    // No webhooks for demo money.
    const hook = await demo.app.handle(new Request('http://localhost/api/payments/webhooks/stripe', { method: 'POST', body: '{}' }))
    expect(hook.status).toBe(404)
  })

  test.each([[0], [-5], ['1999'], [1.5], [2_000_000]])('amount %p is a 422', async (amount) => {
    const token = await demo.tokens.sign(crypto.randomUUID())
    const res = await call(demo.app, 'POST', '/api/wallet/top-ups', { token, body: { amount }, headers: { 'idempotency-key': crypto.randomUUID() } })
    expect(res.status).toBe(422)
  })

  test('without a wallet: 404 no_wallet; without a key: 400; another user cannot read it', async () => {
    const token = await demo.tokens.sign(crypto.randomUUID())
    const none = await call(demo.app, 'POST', '/api/wallet/top-ups', { token, body: { amount: 100 }, headers: { 'idempotency-key': crypto.randomUUID() } })
    expect(none.status).toBe(404)
    expect(none.body.code).toBe('no_wallet')
    const keyless = await call(demo.app, 'POST', '/api/wallet/top-ups', { token, body: { amount: 100 } })
    expect(keyless.status).toBe(400)
    const ownerId = crypto.randomUUID()
    const owner = await demo.tokens.sign(ownerId)
    await call(demo.app, 'POST', '/api/wallet', { token: owner, body: { currency: 'EUR' } })
    const made = await call(demo.app, 'POST', '/api/wallet/top-ups', { token: owner, body: { amount: 100 }, headers: { 'idempotency-key': crypto.randomUUID() } })
    expect((await call(demo.app, 'GET', `/api/wallet/top-ups/${made.body.id}`, { token })).status).toBe(404)
    expect((await call(demo.app, 'GET', '/api/wallet/top-ups/not-a-uuid', { token: owner })).status).toBe(422)
  })
})
