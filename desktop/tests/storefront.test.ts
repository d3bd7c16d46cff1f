/**
 * The storefront for a visitor, in Debian's Chromium on the web build behind the real gateway, at
 * a phone's width (390 px) and a desktop's (1440 px): browse without an account, open a product
 * (its picture, rating, histogram and reviews), add to the cart, reload (the cart is kept), be sent
 * to sign in at checkout and come back to the cart; a customer who received the product writes a
 * review on the page. Every screen: axe finds no violation of any impact, and nothing is wider
 * than the viewport. Screenshots go to desktop/test-results/storefront-<width>-*.png.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import type { Browser, Page } from 'playwright-core'
import { noisyPng } from '../../services/catalog/src/testing.ts'
import type { System } from '../../tests/system.ts'
import { SHOTS, addAddress, checkScreen, signIn, startWebShop } from './web-shop.ts'

let s: System
let browser: Browser
let stop: () => Promise<void> = async () => {}

beforeAll(async () => {
  ;({ s, browser, stop } = await startWebShop('store'))
}, 180_000)

afterAll(() => stop(), 60_000)

/** A product with a picture and two reviews by customers who received it (the real order flow). */
async function seedProduct(name: string): Promise<{ id: string }> {
  const product = await s.product({ name, price: 4990, stock: 20 })
  const form = new FormData()
  form.append('file', new File([new Uint8Array(await noisyPng(600, 450))], 'lamp.png', { type: 'image/png' }))
  const uploaded = await fetch(`${s.urls.gateway}/api/products/${product.id}/images`, { method: 'POST', headers: { authorization: `Bearer ${s.adminToken}` }, body: form })
  if (uploaded.status !== 201) throw new Error(`image: ${uploaded.status}`)
  for (const [buyer, rating, body] of [['Grace', 5, 'Warm light, sturdy base.'], ['Linus', 3, 'Nice, but the cable is short.']] as const) {
    const c = await deliveredBuyer(product.id, buyer)
    const res = await s.request(s.urls.reviews, 'POST', '/api/reviews', { token: c.token, body: { productId: product.id, rating, body } })
    if (res.status !== 201) throw new Error(`review: ${res.status} ${JSON.stringify(res.body)}`)
  }
  // The catalog shows the rating a moment later (review.changed).
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline && (await s.request(s.urls.catalog, 'GET', `/api/products/${product.id}`)).body.rating.count < 2) await Bun.sleep(100)
  return product
}

/** A customer with money whose order of the product was delivered (the reviews service knows it). */
async function deliveredBuyer(productId: string, name: string) {
  const c = await s.customer(100_000, name)
  const order = (await s.order(c.token, [{ productId, quantity: 1 }])).body
  await s.waitForOrder(c.token, order.id, 'PAID')
  const admin = (path: string, body?: unknown) => s.request(s.urls.orders, 'POST', `/api/orders/${order.id}${path}`, { token: s.adminToken, body, key: crypto.randomUUID() })
  await admin('/ship', { carrier: 'DHL', trackingNumber: `JD${Date.now()}` })
  await admin('/deliver')
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline && (await s.db.reviews.sql`select 1 from purchases where user_id = ${c.id}`).length === 0) await Bun.sleep(100)
  return c
}

/** Follows a link of the header (behind the menu button on a phone). */
async function nav(page: Page, width: number, name: string) {
  if (width < 640) await page.getByRole('button', { name: 'Menu' }).click()
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click()
}

/** axe on the whole page (any impact fails) and no sideways scrolling; then a screenshot. */
const check = (page: Page, width: number, name: string) => checkScreen(page, `storefront-${width}-${name}`)

for (const width of [390, 1440]) {
  describe(`the storefront at ${width} px`, () => {
    test('a visitor browses, opens a product with its reviews, keeps the cart over a reload, signs up at checkout and comes back to the cart', async () => {
      const name = `Aurora Lamp ${width}`
      const product = await seedProduct(name)
      const context = await browser.newContext({ viewport: { width, height: 900 } })
      const page = await context.newPage()
      try {
        await page.goto(s.urls.gateway)
        await page.getByLabel('Search').fill(name)
        const card = page.locator(`[data-product="${name}"]`)
        await card.waitFor()
        // The thumbnail has its size set, so nothing moves when it arrives.
        const thumb = card.locator('img')
        expect([await thumb.getAttribute('width'), await thumb.getAttribute('height')]).toEqual(['400', '300'])
        await expect(card.getByRole('img', { name: /Rated 4 out of 5 by 2 customers/ }).count()).resolves.toBe(1)
        await check(page, width, '1-catalog')

        await card.getByRole('link', { name }).click()
        await page.getByRole('heading', { level: 1, name }).waitFor()
        expect(page.url()).toContain(`#/products/${product.id}`)
        expect(await page.title()).toBe(`${name} · Shop`)
        await page.locator('.review').first().waitFor()
        expect(await page.locator('.review-body').allInnerTexts()).toEqual(['Nice, but the cable is short.', 'Warm light, sturdy base.'])
        expect(await page.locator('.histogram td.num').allInnerTexts()).toEqual(['1', '0', '1', '0', '0'])
        await page.getByLabel('Sort reviews').selectOption('highest')
        await page.waitForFunction(() => document.querySelector('.review-body')?.textContent === 'Warm light, sturdy base.')
        expect(await page.locator('.reviews').getByRole('link', { name: 'Sign in' }).isVisible()).toBe(true)
        await check(page, width, '2-product')

        await page.getByLabel('Quantity').selectOption('2')
        await page.getByRole('button', { name: 'Add to cart' }).click()
        await page.getByRole('status').filter({ hasText: 'Added' }).waitFor()
        await page.reload()
        // On a phone the cart and its count stay in the header, beside the menu button.
        await page.getByRole('link', { name: 'Cart (2)' }).click()
        await page.getByRole('heading', { level: 1, name: 'Cart' }).waitFor()
        await check(page, width, '3-cart')

        await page.getByRole('link', { name: 'Sign in to pay' }).click()
        await page.getByRole('button', { name: 'Create an account' }).click()
        await check(page, width, '4-sign-up')
        await page.getByLabel('Name').fill('Vera Visitor')
        const email = `visitor-${width}-${Date.now()}@shop.test`
        await page.getByLabel('Email').fill(email)
        await page.getByLabel('Password').fill('correct horse battery')
        await page.getByRole('button', { name: 'Create account' }).click()
        // Back in the cart, signed in, the lines kept; no wallet yet, so Pay waits.
        await page.getByRole('button', { name: 'Pay' }).waitFor()
        expect(page.url()).toContain('#/cart')
        expect(await page.locator('table.cart tr').count()).toBe(1)
        expect(await page.getByRole('button', { name: 'Pay' }).isDisabled()).toBe(true)

        // Checkout: an address into the book, the wallet short, a top-up that comes back.
        await addAddress(page, { name: 'Vera Visitor', line1: '1 Rue de Rivoli', postalCode: '75001', city: 'Paris', country: 'FR' })
        await page.getByRole('link', { name: 'Open one and top up' }).click()
        // The shop sells in euros only: that is the wallet offered.
        await page.getByTestId('wallet-currency').getByText('EUR').waitFor()
        await check(page, width, '5-open-wallet')
        await page.getByRole('button', { name: 'Open wallet' }).click()
        await page.getByLabel('Top up (EUR)').waitFor()
        expect(await page.getByLabel('Top up (EUR)').inputValue()).toBe('99.80')
        // The largest top-up is known before sending.
        expect(await page.locator('#topup-hint').innerText()).toBe('You will add €99.80')
        await page.getByLabel('Top up (EUR)').fill('100000.01')
        expect(await page.locator('#topup-hint').innerText()).toBe('At most €100,000.00 per top-up')
        expect(await page.getByRole('button', { name: 'Add demo money' }).isDisabled()).toBe(true)
        await page.getByLabel('Top up (EUR)').fill('50')
        await page.getByRole('button', { name: 'Add demo money' }).click()
        await page.getByRole('link', { name: 'Back to checkout' }).click()
        const short = page.getByTestId('wallet-check')
        await short.getByText('€49.80 short').waitFor()
        expect(await page.getByRole('button', { name: 'Pay' }).isDisabled()).toBe(true)
        await check(page, width, '6-checkout-short')
        await short.getByRole('link', { name: /Top up/ }).click()
        expect(await page.getByLabel('Top up (EUR)').inputValue()).toBe('49.80')
        await check(page, width, '7-wallet-top-up')
        await page.getByRole('button', { name: 'Add demo money' }).click()
        await page.getByRole('link', { name: 'Back to checkout' }).click()
        await page.getByRole('button', { name: 'Pay' }).click()
        await page.locator('h1 [data-status="PAID"]').waitFor({ timeout: 15_000 })
        const orderId = page.url().split('#/orders/')[1]!
        const [placed] = await s.db.orders.sql<{ shippingAddress: { city: string; country: string } }[]>`select shipping_address from orders where id = ${orderId}`
        expect(placed!.shippingAddress).toMatchObject({ city: 'Paris', country: 'FR' })
        // Paid: the cart is empty now.
        if (width < 640) await page.getByRole('button', { name: 'Menu' }).click()
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Cart', exact: true }).waitFor()
        if (width < 640) expect(await page.locator('.cart-phone').innerText()).toBe('Cart')
        if (width < 640) await page.getByRole('button', { name: 'Menu' }).click()

        // The owner ships through the API: the order page follows live, with a notice and the tracking.
        const number = Number((await page.getByRole('heading', { level: 1 }).innerText()).match(/#(\d+)/)![1])
        const admin = (path: string, body?: unknown) => s.request(s.urls.orders, 'POST', `/api/orders/${orderId}${path}`, { token: s.adminToken, body, key: crypto.randomUUID() })
        await admin('/ship', { carrier: 'DHL', trackingNumber: 'JD014600006281234567' })
        await page.getByRole('status').filter({ hasText: 'Order shipped' }).waitFor()
        await page.getByTestId('shipment').getByText('JD014600006281234567').waitFor()
        await admin('/deliver')
        await page.getByRole('button', { name: 'Request a return' }).waitFor()
        const times = await page.locator('.timeline time').evaluateAll((ts) => ts.map((t) => t.getAttribute('datetime')))
        expect(times.every((t) => !Number.isNaN(Date.parse(t ?? '')))).toBe(true)
        expect(await page.locator('.timeline li').evaluateAll((items) => items.map((li) => li.getAttribute('data-event')))).toEqual(['created', 'paid', 'shipped', 'delivered'])
        await check(page, width, '8-order')

        // The orders list: number, date, total and status; the wallet's payment links to the order.
        await nav(page, width, 'Orders')
        const row = page.locator(`[data-order="${orderId}"]`)
        await row.waitFor()
        expect(await row.innerText()).toContain(`Order #${number}`)
        expect(await row.locator('[data-status]').getAttribute('data-status')).toBe('DELIVERED')
        await check(page, width, '9-orders')
        await nav(page, width, 'Wallet')
        await page.getByRole('link', { name: 'Payment for an order' }).waitFor()
        await check(page, width, '10-wallet-history')
        await page.getByRole('link', { name: 'Payment for an order' }).click()
        await page.getByRole('heading', { level: 1, name: new RegExp(`Order #${number}`) }).waitFor()

        // Delivered, so a verified buyer: the product's page offers the review form.
        const [buyer] = await s.db.users.sql<{ id: string }[]>`select id from users where email = ${email}`
        const deadline = Date.now() + 15_000
        while (Date.now() < deadline && (await s.db.reviews.sql`select 1 from purchases where user_id = ${buyer!.id}`).length === 0) await Bun.sleep(100)
        // The delivered order offers it beside the item.
        await page.getByRole('link', { name: `Write a review of ${name}` }).click()
        await page.getByRole('heading', { name: 'Write a review' }).waitFor()
        await page.getByLabel('Your review').fill(`Bright enough to read by (${width}).`)
        await page.getByRole('button', { name: 'Publish review' }).click()
        await page.getByRole('alert').filter({ hasText: 'Choose a rating' }).waitFor()
        await check(page, width, '11-write-review')
        await page.getByLabel('4 stars').check()
        await page.getByRole('button', { name: 'Publish review' }).click()
        await page.getByText('You have reviewed this product').waitFor()
        expect(await page.locator('.review-body').first().innerText()).toBe(`Bright enough to read by (${width}).`)

        // And a return, asked through a confirmation: Escape keeps the order, then it is asked for real.
        await page.goto(`${s.urls.gateway}/#/orders/${orderId}`)
        await page.getByRole('button', { name: 'Request a return' }).click()
        const dialog = page.getByRole('dialog', { name: `Return order #${number}?` })
        await dialog.waitFor()
        expect(await dialog.getByRole('button', { name: 'Request the return' }).isDisabled()).toBe(true)
        await dialog.getByLabel('Why are you returning it?').fill('It arrived dented')
        await check(page, width, '12-return-dialog')
        await page.keyboard.press('Escape')
        await dialog.waitFor({ state: 'hidden' })
        expect((await s.db.orders.sql<{ status: string }[]>`select status from orders where id = ${orderId}`)[0]!.status).toBe('DELIVERED')
        await page.getByRole('button', { name: 'Request a return' }).click()
        await dialog.getByLabel('Why are you returning it?').fill('It arrived dented')
        await dialog.getByRole('button', { name: 'Request the return' }).click()
        await page.locator('h1 [data-status="RETURN_REQUESTED"]').waitFor()
        expect((await s.db.orders.sql<{ returnReason: string }[]>`select return_reason from orders where id = ${orderId}`)[0]!.returnReason).toBe('It arrived dented')

        await page.goto(`${s.urls.gateway}/#/products/${crypto.randomUUID()}`)
        await page.getByRole('heading', { level: 1, name: 'Product not found' }).waitFor()
        await check(page, width, '13-product-not-found')
      } finally {
        await context.close()
      }
    }, 150_000)

    test('a customer who did not receive the product is told why they cannot review it', async () => {
      const product = await s.product({ name: `Unreviewed Lamp ${width}`, price: 2500, stock: 5 })
      const context = await browser.newContext({ viewport: { width, height: 900 } })
      const page = await context.newPage()
      try {
        const stranger = await s.customer()
        const strangerEmail = (await s.db.users.sql<{ email: string }[]>`select email from users where id = ${stranger.id}`)[0]!.email
        await signIn(page, s.urls.gateway, strangerEmail, `/products/${product.id}`)
        await page.getByText('Only customers who received this product may review it').waitFor()
        expect(await page.getByRole('heading', { name: 'Write a review' }).count()).toBe(0)
      } finally {
        await context.close()
      }
    }, 60_000)

    test('states: placeholders of the final size while loading, "Try again" after a failure, a cart that re-reads prices and stock, an unknown address', async () => {
      const context = await browser.newContext({ viewport: { width, height: 900 } })
      const page = await context.newPage()
      try {
        // Layout shifts are summed from the start (what Lighthouse calls CLS).
        await page.addInitScript(() => {
          ;(window as unknown as { cls: number }).cls = 0
          new PerformanceObserver((list) => {
            for (const entry of list.getEntries() as (PerformanceEntry & { value: number; hadRecentInput: boolean })[])
              if (!entry.hadRecentInput) (window as unknown as { cls: number }).cls += entry.value
          }).observe({ type: 'layout-shift', buffered: true })
        })
        await s.product({ name: `Placeholder Lamp ${width}`, price: 1500, stock: 4 })
        const list = (url: URL) => url.pathname === '/api/products'
        let release!: () => void
        const held = new Promise<void>((r) => (release = r))
        await page.route(list, async (route) => (await held, route.continue()))
        await page.goto(s.urls.gateway)
        await page.locator('.skeleton-card').first().waitFor()
        expect(await page.getByRole('status').filter({ hasText: 'Loading products…' }).count()).toBe(1)
        const axe = await new AxeBuilder({ page }).analyze()
        expect(axe.violations.map((v) => v.id)).toEqual([])
        await page.screenshot({ path: join(SHOTS, `storefront-${width}-15-loading.png`), fullPage: true })
        const skeleton = await page.locator('.skeleton-card').first().boundingBox()
        release()
        await page.locator('.card.product:not(.skeleton-card)').first().waitFor()
        const card = await page.locator('.card.product').first().boundingBox()
        // The first card sits where its placeholder was, the same width; the page did not jump.
        expect([Math.round(card!.x), Math.round(card!.y), Math.round(card!.width)]).toEqual([Math.round(skeleton!.x), Math.round(skeleton!.y), Math.round(skeleton!.width)])
        expect(await page.evaluate(() => (window as unknown as { cls: number }).cls)).toBeLessThan(0.1)
        await page.unroute(list)

        // A failed load says so inside the page, with a way to try again that works.
        let failures = 1
        await page.route(list, (route) => (failures-- > 0 ? route.fulfill({ status: 503, contentType: 'application/problem+json', body: JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, code: 'upstream_unavailable', detail: 'The catalog cannot be reached. Try again in a moment.' }) }) : route.continue()))
        await page.reload()
        await page.getByRole('alert').filter({ hasText: 'The catalog cannot be reached' }).waitFor()
        await check(page, width, '16-load-error')
        await page.getByRole('button', { name: 'Try again' }).click()
        await page.locator('.card.product:not(.skeleton-card)').first().waitFor()
        expect(await page.getByRole('alert').count()).toBe(0)
        await page.unroute(list)

        // The cart re-reads its products when it opens: a new price, less stock and a product gone are said.
        const cheap = await s.product({ name: `Repriced Mug ${width}`, price: 1200, stock: 3 })
        const gone = await s.product({ name: `Withdrawn Mug ${width}`, price: 900, stock: 9 })
        await s.request(s.urls.catalog, 'PATCH', `/api/products/${gone.id}`, { token: s.adminToken, body: { active: false } })
        const stale = async (id: string, price: number) => ({ ...(await s.request(s.urls.catalog, 'GET', `/api/products/${cheap.id}`)).body, id, price })
        const lines = [
          { product: await stale(cheap.id, 1000), quantity: 5 },
          { product: { ...(await stale(gone.id, 900)), name: `Withdrawn Mug ${width}` }, quantity: 1 },
        ]
        await page.evaluate((l) => localStorage.setItem('shop.cart', JSON.stringify(l)), lines)
        await page.goto(`${s.urls.gateway}/#/cart`)
        await page.reload() // (a new address only in its hash does not load the page again)
        const changes = page.getByTestId('cart-changes')
        await changes.waitFor()
        expect(await changes.locator('li').allInnerTexts()).toEqual([
          `Repriced Mug ${width} now costs €12.00 (was €10.00). Only 3 of Repriced Mug ${width} left: your quantity was lowered.`,
          `Withdrawn Mug ${width} is no longer sold, so it left your cart.`,
        ])
        expect(await page.locator('table.cart tr').count()).toBe(1)
        expect(await page.locator('table.cart .qty span').innerText()).toBe('3')
        expect(await page.locator('.total').innerText()).toContain('36.00')
        await check(page, width, '17-cart-changes')
        // What the cart now holds is what is stored.
        expect(await page.evaluate(() => JSON.parse(localStorage.getItem('shop.cart')!).map((l: { quantity: number; product: { price: number } }) => [l.quantity, l.product.price]))).toEqual([[3, 1200]])

        await page.goto(`${s.urls.gateway}/#/no-such-page`)
        await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor()
        expect(await page.title()).toBe('Page not found · Shop')
        await check(page, width, '18-page-not-found')
        await page.getByRole('link', { name: 'Go to the shop' }).click()
        await page.getByRole('heading', { level: 1, name: 'Shop' }).waitFor()
      } finally {
        await context.close()
      }
    }, 60_000)

    test('the profile: a new name shows at once, an address added and deleted, a new password signs in', async () => {
      const c = await s.customer(0, `Pat ${width}`)
      const email = (await s.db.users.sql<{ email: string }[]>`select email from users where id = ${c.id}`)[0]!.email
      const context = await browser.newContext({ viewport: { width, height: 900 } })
      const page = await context.newPage()
      try {
        await signIn(page, s.urls.gateway, email, '/profile')
        await page.getByRole('heading', { level: 1, name: 'Your profile' }).waitFor()
        await page.getByText('No addresses yet').waitFor()
        await check(page, width, '14-profile')

        await page.getByLabel('Name', { exact: true }).fill(`Patricia ${width}`)
        await page.locator('form').filter({ hasText: 'Name' }).first().getByRole('button', { name: 'Save' }).click()
        await page.getByText('Your name is changed.').waitFor()
        if (width < 640) await page.getByRole('button', { name: 'Menu' }).click()
        await page.getByRole('link', { name: `Patricia ${width}` }).waitFor()
        if (width < 640) await page.getByRole('button', { name: 'Menu' }).click()

        await page.getByRole('button', { name: 'Add an address' }).click()
        await page.getByLabel('Full name').fill(`Patricia ${width}`)
        await page.getByLabel('Street and number').fill('5 Kungsgatan')
        await page.getByLabel('Postal code').fill('111 43')
        await page.getByLabel('City').fill('Stockholm')
        await page.getByLabel(/Country code/).fill('se')
        await page.getByRole('button', { name: 'Save the address' }).click()
        const remove = page.getByRole('button', { name: `Delete the address Patricia ${width}, 5 Kungsgatan` })
        await remove.waitFor()
        expect((await s.request(s.urls.users, 'GET', '/api/users/me/addresses', { token: c.token })).body.items.map((a: { country: string }) => a.country)).toEqual(['SE'])
        await remove.click()
        await page.getByText('No addresses yet').waitFor()

        const passwordForm = page.locator('form').filter({ has: page.getByLabel('New password') })
        await passwordForm.getByLabel('Current password').fill('wrong password here')
        await passwordForm.getByLabel('New password').fill('a brand new passphrase')
        await passwordForm.getByRole('button', { name: 'Save' }).click()
        await passwordForm.getByRole('alert').waitFor()
        await passwordForm.getByLabel('Current password').fill('correct horse battery')
        await passwordForm.getByRole('button', { name: 'Save' }).click()
        await page.getByText('every other device was signed out').waitFor()
        const login = await s.request(s.urls.users, 'POST', '/api/auth/login', { body: { email, password: 'a brand new passphrase' } })
        expect(login.status).toBe(200)
      } finally {
        await context.close()
      }
    }, 90_000)
  })
}
