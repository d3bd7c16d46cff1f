/**
 * A top-up through Stripe in Debian's Chromium, on the whole system with PAYMENT_PROVIDER=stripe:
 * its API calls go to the stand-in Stripe server (there is no card network here) and Stripe.js
 * cannot load (the test blocks js.stripe.com: no traffic leaves the machine), so the card form
 * shows its placeholder. Stripe's webhook, signed as Stripe signs it, then credits the wallet, and
 * the open wallet screen shows the new balance by itself, pushed on the live stream.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import type { System } from '../../tests/system.ts'
import {
  STAND_IN_PUBLISHABLE_KEY,
  STAND_IN_SECRET_KEY,
  STAND_IN_WEBHOOK_SECRET,
  startStripeStandIn,
  type StripeStandIn,
} from '../../services/payments/src/modules/top-ups/stripe-stand-in.fixture.ts'
import { checkScreen, startWebShop } from './web-shop.ts'

let s: System
let browser: Browser
let stripe: StripeStandIn
let stop: () => Promise<void> = async () => {}

beforeAll(async () => {
  stripe = startStripeStandIn()
  ;({ s, browser, stop } = await startWebShop('stripe', {
    payments: {
      PAYMENT_PROVIDER: 'stripe',
      STRIPE_SECRET_KEY: STAND_IN_SECRET_KEY,
      STRIPE_WEBHOOK_SECRET: STAND_IN_WEBHOOK_SECRET,
      STRIPE_PUBLISHABLE_KEY: STAND_IN_PUBLISHABLE_KEY,
      STRIPE_API_URL: stripe.url,
    },
  }))
}, 120_000)

afterAll(async () => {
  await stop()
  stripe.stop()
}, 60_000)

describe('a Stripe top-up in Chromium', () => {
  test("Stripe's form cannot load offline: a clear message, not a blank; the webhook then credits the wallet live", async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } })
    const page = await context.newPage()
    const blocked: string[] = []
    await page.route('https://*.stripe.com/**', (route) => (blocked.push(route.request().url()), route.abort('internetdisconnected')))
    // A phone's width: the header's links fold away, so the sign-in screen is opened by its address.
    await page.goto(`${s.urls.gateway}/#/signin?next=${encodeURIComponent('/wallet')}`)
    await page.getByRole('button', { name: 'Create an account' }).click()
    await page.getByLabel('Name').fill('Cara Card')
    await page.getByLabel('Email').fill(`stripe-${Date.now()}@shop.test`)
    await page.getByLabel('Password').fill('correct horse battery')
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.getByRole('button', { name: 'Open wallet' }).click()

    // Real money: no demo label, and the button says where it goes next.
    await page.getByLabel(/Top up/).fill('25')
    expect(await page.getByTestId('demo-note').count()).toBe(0)
    await page.getByRole('button', { name: 'Continue to card payment' }).click()

    // The PaymentIntent was made at the stand-in, for the amount, in the wallet's currency.
    const alert = page.getByRole('alert')
    await alert.getByText('The card form could not load.').waitFor({ timeout: 15_000 })
    expect(await alert.innerText()).toContain('Nothing has been charged')
    expect(blocked.some((url) => url.startsWith('https://js.stripe.com/'))).toBe(true)
    const created = stripe.creates.at(-1)!
    expect(created).toMatchObject({ amount: 2500, currency: 'eur' })
    expect(created.idempotencyKey).toBe(`shop-top-up-${created.metadata.topUpId}`)
    await checkScreen(page, 'stripe-390-card-form-unavailable')

    // Trying again is offered: it asks js.stripe.com again (a failed load is not kept), and fails the same way while offline.
    const asked = () => blocked.filter((url) => url.startsWith('https://js.stripe.com/')).length
    const before = asked()
    await page.getByRole('button', { name: 'Try again' }).click()
    for (const deadline = Date.now() + 10_000; asked() === before && Date.now() < deadline; ) await Bun.sleep(50)
    expect(asked()).toBeGreaterThan(before)
    await alert.getByText('The card form could not load.').waitFor()
    await page.getByRole('button', { name: 'Cancel' }).click()
    await page.getByRole('button', { name: 'Continue to card payment' }).waitFor()
    expect(await page.getByTestId('balance').innerText()).toBe('€0.00')

    // The customer paid (elsewhere, say on another device): Stripe tells the shop through the gateway.
    const intentId = [...stripe.intents.values()].find((i) => i.metadata.topUpId === created.metadata.topUpId)!.id
    const payload = stripe.event('payment_intent.succeeded', stripe.succeed(intentId))
    const res = await fetch(`${s.urls.gateway}/api/payments/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': await stripe.sign(payload) },
      body: payload,
    })
    expect(res.status).toBe(200)
    // No reload: the stream brings it, the balance and the history follow.
    await page.locator('.toast').getByText('Top-up of €25.00 added to your wallet').waitFor({ timeout: 15_000 })
    await page.waitForFunction(() => document.querySelector('[data-testid=balance]')?.textContent === '€25.00')
    await page.locator('tr[data-kind="deposit"]').getByText('Top-up').waitFor()
    await checkScreen(page, 'stripe-390-credited-live')
    // The same wallet on a desktop screen, with the card form open (it cannot load here either).
    await page.setViewportSize({ width: 1440, height: 900 })
    await checkScreen(page, 'stripe-1440-wallet-credited')
    await page.getByLabel(/Top up/).fill('10')
    await page.getByRole('button', { name: 'Continue to card payment' }).click()
    await page.getByRole('alert').getByText('The card form could not load.').waitFor({ timeout: 15_000 })
    await checkScreen(page, 'stripe-1440-card-form-unavailable')
    await page.getByRole('button', { name: 'Cancel' }).click()
    await page.setViewportSize({ width: 390, height: 844 })

    // Deposits are closed with a real provider.
    const refresh = await page.evaluate(() => sessionStorage.getItem('shop.refreshToken'))
    const tokens = await s.request(s.urls.users, 'POST', '/api/auth/refresh', { body: { refreshToken: refresh } })
    await page.evaluate((token) => sessionStorage.setItem('shop.refreshToken', token), tokens.body.refreshToken)
    const deposit = await s.request(s.urls.gateway, 'POST', '/api/wallet/deposits', { token: tokens.body.accessToken, body: { amount: 100 }, key: crypto.randomUUID() })
    expect(deposit.status).toBe(403)
    expect(deposit.body.code).toBe('deposits_disabled')
    await context.close()
  }, 90_000)
})
