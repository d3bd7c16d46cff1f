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
import { SHOTS, addAddress, signIn, startWebShop } from './web-shop.ts'

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

/** axe on the whole page (any impact fails) and no sideways scrolling; then a screenshot. */
async function check(page: Page, width: number, name: string) {
  // (Not networkidle: a signed-in page keeps its live order stream open.)
  await page.waitForFunction(() => [...document.images].every((img) => img.complete) && !document.querySelector('[aria-busy=true]'))
  const results = await new AxeBuilder({ page }).analyze()
  const violations = results.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
  expect({ screen: name, width, violations }).toEqual({ screen: name, width, violations: [] })
  const wide = await page.evaluate(() => ({
    page: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
    // What sticks out, to say where (empty when nothing does).
    over: [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${el.className} ${Math.round(el.getBoundingClientRect().right)}`),
  }))
  expect({ screen: name, width, scrollWidth: wide.page, over: wide.over }).toEqual({ screen: name, width, scrollWidth: wide.viewport, over: [] })
  await page.screenshot({ path: join(SHOTS, `storefront-${width}-${name}.png`), fullPage: true })
}

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
        if (width < 640) await page.getByRole('button', { name: 'Menu' }).click()
        await page.getByRole('link', { name: 'Cart (2)' }).click()
        await page.getByRole('heading', { level: 1, name: 'Cart' }).waitFor()
        await check(page, width, '3-cart')

        await page.getByRole('link', { name: 'Sign in to pay' }).click()
        await page.getByRole('button', { name: 'Create an account' }).click()
        await check(page, width, '4-sign-up')
        await page.getByLabel('Name').fill('Vera Visitor')
        await page.getByLabel('Email').fill(`visitor-${width}-${Date.now()}@shop.test`)
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
        await page.getByRole('button', { name: 'Open wallet' }).click()
        await page.getByLabel('Top up (EUR)').waitFor()
        expect(await page.getByLabel('Top up (EUR)').inputValue()).toBe('99.80')
        await page.getByLabel('Top up (EUR)').fill('50')
        await page.getByRole('button', { name: 'Top up' }).click()
        await page.getByRole('link', { name: 'Back to checkout' }).click()
        const short = page.getByTestId('wallet-check')
        await short.getByText('49.80 EUR short').waitFor()
        expect(await page.getByRole('button', { name: 'Pay' }).isDisabled()).toBe(true)
        await check(page, width, '3b-checkout-short')
        await short.getByRole('link', { name: /Top up/ }).click()
        expect(await page.getByLabel('Top up (EUR)').inputValue()).toBe('49.80')
        await check(page, width, '3c-wallet-top-up')
        await page.getByRole('button', { name: 'Top up' }).click()
        await page.getByRole('link', { name: 'Back to checkout' }).click()
        await page.getByRole('button', { name: 'Pay' }).click()
        await page.locator('h1 [data-status="PAID"]').waitFor({ timeout: 15_000 })
        const orderId = page.url().split('#/orders/')[1]!
        const [placed] = await s.db.orders.sql<{ shippingAddress: { city: string; country: string } }[]>`select shipping_address from orders where id = ${orderId}`
        expect(placed!.shippingAddress).toMatchObject({ city: 'Paris', country: 'FR' })
        // Paid: the cart is empty now.
        if (width < 640) await page.getByRole('button', { name: 'Menu' }).click()
        await page.getByRole('link', { name: 'Cart', exact: true }).waitFor()

        await page.goto(`${s.urls.gateway}/#/products/${crypto.randomUUID()}`)
        await page.getByRole('heading', { level: 1, name: 'Product not found' }).waitFor()
        await check(page, width, '5-not-found')
      } finally {
        await context.close()
      }
    }, 90_000)

    test('a customer who received the product writes a review on its page; one who did not is told why', async () => {
      const product = await s.product({ name: `Reviewed Lamp ${width}`, price: 2500, stock: 5 })
      const buyer = await deliveredBuyer(product.id, `Buyer ${width}`)
      const context = await browser.newContext({ viewport: { width, height: 900 } })
      const page = await context.newPage()
      try {
        const email = (await s.db.users.sql<{ email: string }[]>`select email from users where id = ${buyer.id}`)[0]!.email
        await signIn(page, s.urls.gateway, email, `/products/${product.id}`)
        await page.getByRole('heading', { name: 'Write a review' }).waitFor()
        await check(page, width, '6-write-review')
        await page.getByLabel('Your review').fill(`Bright enough to read by (${width}).`)
        await page.getByRole('button', { name: 'Publish review' }).click()
        await page.getByRole('alert').filter({ hasText: 'Choose a rating' }).waitFor()
        await page.getByLabel('4 stars').check()
        await page.getByRole('button', { name: 'Publish review' }).click()
        await page.getByText('You have reviewed this product').waitFor()
        expect(await page.locator('.review-body').first().innerText()).toBe(`Bright enough to read by (${width}).`)

        // A customer who never received it: a plain word instead of the form.
        await page.getByRole('button', { name: 'Sign out' }).or(page.getByRole('button', { name: 'Menu' })).first().click()
        if (width < 640) await page.getByRole('button', { name: 'Sign out' }).click()
        const stranger = await s.customer()
        const strangerEmail = (await s.db.users.sql<{ email: string }[]>`select email from users where id = ${stranger.id}`)[0]!.email
        await signIn(page, s.urls.gateway, strangerEmail, `/products/${product.id}`)
        await page.getByText('Only customers who received this product may review it').waitFor()
      } finally {
        await context.close()
      }
    }, 90_000)

    test('the order page: shipped live with its tracking, a timeline with dates and times, a return asked through a confirmation', async () => {
      const product = await s.product({ name: `Returned Kettle ${width}`, price: 3000, stock: 5 })
      const c = await s.customer(100_000, `Orderer ${width}`)
      const order = (await s.order(c.token, [{ productId: product.id, quantity: 1 }])).body
      await s.waitForOrder(c.token, order.id, 'PAID')
      const email = (await s.db.users.sql<{ email: string }[]>`select email from users where id = ${c.id}`)[0]!.email
      const context = await browser.newContext({ viewport: { width, height: 900 } })
      const page = await context.newPage()
      try {
        await signIn(page, s.urls.gateway, email, `/orders/${order.id}`)
        await page.getByRole('heading', { level: 1, name: new RegExp(`Order #${order.number}`) }).waitFor()
        // The owner ships and delivers through the API; the page follows live, with a notice.
        const admin = (path: string, body?: unknown) => s.request(s.urls.orders, 'POST', `/api/orders/${order.id}${path}`, { token: s.adminToken, body, key: crypto.randomUUID() })
        await admin('/ship', { carrier: 'DHL', trackingNumber: 'JD014600006281234567' })
        await page.getByRole('status').filter({ hasText: 'Order shipped' }).waitFor()
        await page.getByTestId('shipment').getByText('JD014600006281234567').waitFor()
        await admin('/deliver')
        await page.getByRole('button', { name: 'Request a return' }).waitFor()
        const times = await page.locator('.timeline time').evaluateAll((ts) => ts.map((t) => t.getAttribute('datetime')))
        expect(times.every((t) => !Number.isNaN(Date.parse(t ?? '')))).toBe(true)
        expect(await page.locator('.timeline li').evaluateAll((items) => items.map((li) => li.getAttribute('data-event')))).toEqual(['created', 'paid', 'shipped', 'delivered'])
        await check(page, width, '7-order')

        await page.getByRole('button', { name: 'Request a return' }).click()
        const dialog = page.getByRole('dialog', { name: `Return order #${order.number}?` })
        await dialog.waitFor()
        expect(await dialog.getByRole('button', { name: 'Request the return' }).isDisabled()).toBe(true)
        await dialog.getByLabel('Why are you returning it?').fill('It arrived dented')
        await check(page, width, '8-return-dialog')
        // Escape closes it and nothing is asked; then it is asked for real.
        await page.keyboard.press('Escape')
        await dialog.waitFor({ state: 'hidden' })
        expect((await s.orderStatus(c.token, order.id)).status).toBe('DELIVERED')
        await page.getByRole('button', { name: 'Request a return' }).click()
        await dialog.getByLabel('Why are you returning it?').fill('It arrived dented')
        await dialog.getByRole('button', { name: 'Request the return' }).click()
        await page.locator('h1 [data-status="RETURN_REQUESTED"]').waitFor()
        expect((await s.orderStatus(c.token, order.id)).return).toMatchObject({ reason: 'It arrived dented' })
      } finally {
        await context.close()
      }
    }, 90_000)

    test('the profile: a new name shows at once, an address added and deleted, a new password signs in', async () => {
      const c = await s.customer(0, `Pat ${width}`)
      const email = (await s.db.users.sql<{ email: string }[]>`select email from users where id = ${c.id}`)[0]!.email
      const context = await browser.newContext({ viewport: { width, height: 900 } })
      const page = await context.newPage()
      try {
        await signIn(page, s.urls.gateway, email, '/profile')
        await page.getByRole('heading', { level: 1, name: 'Your profile' }).waitFor()
        await page.getByText('No addresses yet').waitFor()
        await check(page, width, '9-profile')

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
