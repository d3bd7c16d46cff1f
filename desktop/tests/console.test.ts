/**
 * The owner's console in Chromium at 1024 px (the narrowest it is made for), an owner's day: sign
 * in as the admin; the dashboard's figures agree with the API; a customer's order placed through
 * the API arrives in the shipping queue without a reload; it is shipped with tracking (the
 * customer's order shows it), delivered, its return received (the wallet refunded once, the
 * stock back); a product is created (bad fields refused first) with pictures from the file
 * picker and dropped (a text file refused), put in order, taken off sale and back; a supply of
 * two products is received and a stock adjustment made with its reason (the movements show
 * them); a customer is found with their wallet and orders; their review is hidden (the product's
 * rating no longer counts it). axe finds no violation on any console screen, nothing is wider
 * than the window, and every screen is screenshotted. A customer sees no console, never
 * downloads its code, and gets 403 from every admin route it uses.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Browser, Page } from 'playwright-core'
import { noisyPng } from '../../services/catalog/src/testing.ts'
import type { System } from '../../tests/system.ts'
import { checkScreen, signIn, startWebShop } from './web-shop.ts'

let s: System
let browser: Browser
let stop: () => Promise<void> = async () => {}

beforeAll(async () => {
  ;({ s, browser, stop } = await startWebShop('console'))
}, 180_000)

afterAll(() => stop(), 60_000)

const WIDTH = 1024
const ADMIN = { email: 'admin@system.test', password: 'admin password 123' }
const ADDRESS = { name: 'Grace Hopper', line1: '1 Navy Way', city: 'Arlington', postalCode: '22201', country: 'US' }
const shot = (page: Page, name: string) => checkScreen(page, `console-${WIDTH}-${name}`)

/** A customer with money and a paid order of `quantity` units, placed through the API. */
async function paidOrder(productId: string, quantity: number) {
  const c = await s.customer(100_000, 'Grace')
  const placed = await s.request(s.urls.gateway, 'POST', '/api/orders', { token: c.token, key: crypto.randomUUID(), body: { items: [{ productId, quantity }], shippingAddress: ADDRESS } })
  expect(placed.status).toBe(202)
  const order = await s.waitForOrder(c.token, placed.body.id, 'PAID')
  expect(order.status).toBe('PAID')
  return { c, order: order as { id: string; number: number; total: number } }
}

/** A paid order of one unit for a customer made by the test. */
async function paidOrderOf(c: { token: string }, productId: string) {
  const placed = await s.request(s.urls.gateway, 'POST', '/api/orders', { token: c.token, key: crypto.randomUUID(), body: { items: [{ productId, quantity: 1 }], shippingAddress: ADDRESS } })
  expect(placed.status).toBe(202)
  const order = await s.waitForOrder(c.token, placed.body.id, 'PAID')
  expect(order.status).toBe('PAID')
  return order as { id: string }
}

const stats = async () => (await s.request(s.urls.gateway, 'GET', '/api/admin/orders/stats', { token: s.adminToken })).body

describe('the owner\'s console', () => {
  test("an owner's day: the dashboard, an order arriving live, shipped, delivered, its return received", async () => {
    const product = await s.product({ name: 'Console Kettle', price: 3250, stock: 8 })
    // Yesterday's business, so the dashboard has figures before the test's own order.
    await paidOrder(product.id, 1)

    const context = await browser.newContext({ viewport: { width: WIDTH, height: 800 } })
    const page = await context.newPage()
    try {
      await signIn(page, s.urls.gateway, ADMIN.email, '/admin', ADMIN.password)
      await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor()
      const today = page.locator('[data-window="today"]')
      await today.locator('[data-figure="orders"]').waitFor()
      // The figures are the API's (the browser's days are UTC here, as the API's default).
      const before = (await stats()).windows.find((w: { window: string }) => w.window === 'today')
      expect(await today.locator('[data-figure="orders"]').textContent()).toBe(String(before.orders))
      expect(await today.locator('[data-figure="revenue"]').textContent()).toBe(new Intl.NumberFormat('en-US', { style: 'currency', currency: 'EUR' }).format(before.revenue[0].amount / 100))
      expect(await today.locator('[data-figure="outcomes"]').textContent()).toBe(`${before.paid} · ${before.declined} · ${before.cancelled}`)
      // The stock of 8 less the 1 sold is above the low-stock mark; the queues and processes show.
      await page.locator('[data-process="orders"].ready').waitFor()
      await page.locator('[data-queue="payments"]').waitFor()
      // The revenue chart: a bar a day for 30 days, today's as tall as today's money kept.
      await page.locator('.ct-bar').last().waitFor({ state: 'attached' })
      expect(await page.locator('.ct-bar').count()).toBe(30)
      expect(await page.locator('.ct-bar').last().getAttribute('ct:value')).toBe(String(before.revenue[0].amount))
      await shot(page, '1-dashboard')

      // The shipping queue, open while a customer orders: the order arrives without a reload.
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Orders' }).click()
      await page.getByRole('heading', { name: 'Orders', level: 1 }).waitFor()
      await page.locator('tr[data-order]').first().waitFor()
      const { c, order } = await paidOrder(product.id, 2)
      const row = page.locator(`tr[data-order="${order.number}"]`)
      await row.waitFor({ timeout: 15_000 })
      await expect(row.textContent()).resolves.toContain('Grace Hopper, Arlington (US)')
      await page.getByText(/Updated live at/).waitFor()
      await shot(page, '2-shipping-queue')

      // Search by number, and a number that is no order.
      await page.getByLabel('Order number').fill(`#${order.number}`)
      await page.getByRole('button', { name: 'Find' }).click()
      await page.waitForFunction((n) => document.querySelectorAll('tr[data-order]').length === 1 && !!document.querySelector(`tr[data-order="${n}"]`), order.number)
      await page.getByLabel('Order number').fill('999999')
      await page.getByRole('button', { name: 'Find' }).click()
      await page.getByText('No order #999999 with that status.').waitFor()
      await shot(page, '3-no-such-number')
      await page.getByRole('button', { name: 'Clear' }).click()

      // The order's page: ship it, after a confirmation; empty fields are refused first.
      await page.locator(`tr[data-order="${order.number}"] a`).click()
      await page.getByRole('heading', { name: new RegExp(`Order #${order.number}`) }).waitFor()
      // Who ordered, by name and email (the users service's admin lookup).
      const email = (await s.request(s.urls.gateway, 'GET', '/api/users/me', { token: c.token })).body.email
      await page.getByTestId('customer').getByText(`Grace (${email})`).waitFor()
      await page.getByRole('button', { name: 'Ship the order' }).click()
      await page.getByText('Say which carrier takes the parcel.').waitFor()
      await page.getByLabel('Carrier').fill('UPS')
      await page.getByLabel('Tracking number').fill('1Z999AA10123456784')
      await shot(page, '4-order-to-ship')
      await page.getByRole('button', { name: 'Ship the order' }).click()
      const dialog = page.getByRole('dialog', { name: `Ship order #${order.number}?` })
      await dialog.waitFor()
      await shot(page, '5-ship-dialog')
      await dialog.getByRole('button', { name: 'Ship it' }).click()
      await page.getByText('Shipped with UPS; the customer sees the tracking number.').waitFor()
      // The customer's own order shows the tracking.
      const mine = (await s.request(s.urls.gateway, 'GET', `/api/orders/${order.id}`, { token: c.token })).body
      expect(mine.status).toBe('SHIPPED')
      expect(mine.shipment).toMatchObject({ carrier: 'UPS', trackingNumber: '1Z999AA10123456784' })

      await page.getByRole('button', { name: 'Mark delivered' }).click()
      await page.getByRole('dialog', { name: `Order #${order.number} delivered?` }).getByRole('button', { name: 'Mark delivered' }).click()
      await page.getByText('Marked delivered').waitFor()
      expect((await s.request(s.urls.gateway, 'GET', `/api/orders/${order.id}`, { token: c.token })).body.status).toBe('DELIVERED')

      // The customer sends it back (through the API): the open page follows live.
      const balanceBefore = await s.balance(c.token)
      const stockBefore = await s.stock(product.id)
      const asked = await s.request(s.urls.gateway, 'POST', `/api/orders/${order.id}/return`, { token: c.token, key: crypto.randomUUID(), body: { reason: 'The lid does not close' } })
      expect(asked.status).toBe(200)
      await page.getByRole('button', { name: 'Receive the return' }).waitFor({ timeout: 15_000 })
      await page.getByText('The lid does not close').waitFor()
      await shot(page, '6-return-to-receive')
      await page.getByRole('button', { name: 'Receive the return' }).click()
      await page.getByRole('dialog', { name: `Receive the return of #${order.number}?` }).getByRole('button', { name: 'Receive and refund' }).click()
      await page.getByText(/Return received: the total goes back/).waitFor()
      // Refunded once, the two units back on the shelf.
      const deadline = Date.now() + 15_000
      while (Date.now() < deadline && (await s.balance(c.token)) === balanceBefore) await Bun.sleep(100)
      expect(await s.balance(c.token)).toBe(balanceBefore + order.total)
      while (Date.now() < deadline && (await s.stock(product.id)).stock === stockBefore.stock) await Bun.sleep(100)
      expect((await s.stock(product.id)).stock).toBe(stockBefore.stock + 2)
      await page.locator('li[data-event="returned"]').waitFor()
      await page.getByText('Nothing left to do for this order.').waitFor()
      await shot(page, '7-order-returned')
      // The kettle's movements show the sale and the return's restock, linked to the order.
      await page.goto(`${s.urls.gateway}/#/admin/inventory/${product.id}`)
      await page.locator('tr[data-kind="restock"]').waitFor()
      expect(await page.locator('tr[data-kind]').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-kind'), r.querySelector('.num')?.textContent]))).toEqual([
        ['restock', '+2'],
        ['sale', '−2'],
        ['sale', '−1'],
        ['initial', '+8'],
      ])

      // The dashboard again: the returned order's money is no longer kept, as the API says.
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Dashboard' }).click()
      const after = (await stats()).windows.find((w: { window: string }) => w.window === '30d')
      const month = page.locator('[data-window="30d"]')
      await page.waitForFunction((n) => document.querySelector('[data-window="30d"] [data-figure="orders"]')?.textContent === String(n), after.orders)
      expect(await month.locator('[data-figure="revenue"]').textContent()).toBe(new Intl.NumberFormat('en-US', { style: 'currency', currency: 'EUR' }).format(after.revenue[0].amount / 100))
      expect(after.revenue[0].amount).toBe(before.revenue[0].amount)

      // An order that does not exist.
      await page.goto(`${s.urls.gateway}/#/admin/orders/00000000-0000-4000-8000-000000000000`)
      await page.getByRole('heading', { name: 'Order not found' }).waitFor()
      await shot(page, '8-order-not-found')
    } finally {
      await context.close()
    }
  }, 180_000)

  test('products with pictures, a supply, a stock adjustment, a customer and a hidden review', async () => {
    const context = await browser.newContext({ viewport: { width: WIDTH, height: 800 } })
    const page = await context.newPage()
    try {
      await signIn(page, s.urls.gateway, ADMIN.email, '/admin/products', ADMIN.password)
      await page.getByRole('heading', { name: 'Products', level: 1 }).waitFor()
      await page.getByRole('link', { name: 'New product' }).click()
      await page.getByRole('heading', { name: 'New product', level: 1 }).waitFor()
      // Refused before sending: no name, no category, a price with three decimals.
      await page.getByLabel('Price').fill('12.505')
      await page.getByRole('button', { name: 'Create the product' }).click()
      await page.getByText('Give the product a name.').waitFor()
      await page.getByText('At most 2 decimals').waitFor()
      await shot(page, '10-new-product-errors')
      await page.getByLabel('Name').fill('Console Teapot')
      await page.getByLabel('Category').fill('Kitchen')
      await page.getByLabel('Price').fill('24.90')
      await page.getByLabel('Units in stock').fill('3')
      await page.getByLabel('Description').fill('Cast iron, 0.8 litres.')
      await page.getByRole('button', { name: 'Create the product' }).click()
      await page.getByRole('heading', { name: 'Console Teapot', level: 1 }).waitFor()
      const productId = page.url().split('/').pop()!
      const created = (await s.request(s.urls.gateway, 'GET', `/api/products/${productId}`)).body
      expect(created).toMatchObject({ name: 'Console Teapot', category: 'Kitchen', price: 2490, currency: 'EUR', stock: 3, description: 'Cast iron, 0.8 litres.', active: true })

      // Two pictures: one with the file picker, one dropped; a text file is refused on the page.
      const png = (width: number) => noisyPng(width, 120).then((b) => Buffer.from(b))
      await page.locator('input[name=pictures]').setInputFiles([{ name: 'side.png', mimeType: 'image/png', buffer: await png(160) }])
      await page.locator('li[data-image]').first().waitFor()
      const dropped = await png(200)
      await page.evaluate(
        ([bytes]) => {
          const transfer = new DataTransfer()
          transfer.items.add(new File([new Uint8Array(bytes as number[])], 'front.png', { type: 'image/png' }))
          transfer.items.add(new File(['not a picture'], 'notes.txt', { type: 'text/plain' }))
          document.querySelector('.dropzone')!.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }))
        },
        [[...dropped]],
      )
      await page.getByText('Not a PNG, JPEG or WebP picture.').waitFor()
      await page.waitForFunction(() => document.querySelectorAll('li[data-image]').length === 2)
      await shot(page, '11-product-pictures')
      // The dropped one becomes the main picture.
      await page.getByRole('button', { name: 'Move picture 2 earlier' }).click()
      await page.getByText('This is now the main picture.').waitFor()
      const ids = await page.locator('li[data-image]').evaluateAll((items) => items.map((li) => li.getAttribute('data-image')))
      expect((await s.request(s.urls.gateway, 'GET', `/api/products/${productId}`)).body.images.map((i: { id: string }) => i.id)).toEqual(ids)
      // Off sale, then on again.
      await page.getByLabel(/On sale/).uncheck()
      await page.getByRole('button', { name: 'Save changes' }).click()
      await page.getByText('Saved.').waitFor()
      expect((await s.request(s.urls.gateway, 'GET', `/api/products/${productId}`)).status).toBe(404)
      await page.getByLabel(/On sale/).check()
      await page.getByRole('button', { name: 'Save changes' }).click()
      await page.getByText('Saved.').waitFor()
      expect((await s.request(s.urls.gateway, 'GET', `/api/products/${productId}`)).status).toBe(200)

      // A supply of two products at once, from the stock list.
      const other = await s.product({ name: 'Console Cup', price: 590, stock: 1 })
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Inventory' }).click()
      await page.getByRole('heading', { name: 'Inventory', level: 1 }).waitFor()
      await page.getByLabel('Search').fill('console')
      await page.getByRole('button', { name: 'Find' }).click()
      await page.waitForURL(/inventory\?q=console/)
      await page.locator('tr[data-product="Console Cup"]').waitFor()
      expect(await page.getByLabel('Search').inputValue()).toBe('console')
      await page.getByLabel('Units of Console Teapot received').fill('10')
      await page.getByLabel('Units of Console Cup received').fill('24')
      await page.getByRole('button', { name: 'Receive the supply' }).click()
      await page.getByText('Give the delivery a reference').waitFor()
      await page.getByLabel('Reference').fill('PO-2026-118')
      await page.getByLabel('Supplier (optional)').fill('Nordic Kitchen AB')
      await shot(page, '12-inventory-supply')
      await page.getByRole('button', { name: 'Receive the supply' }).click()
      await page.getByText('Received 34 units of 2 products (PO-2026-118).').waitFor()
      expect((await s.stock(productId)).stock).toBe(13)
      expect((await s.stock(other.id)).stock).toBe(25)

      // An adjustment with its reason; the movements list it.
      await page.locator('tr[data-product="Console Teapot"] a').click()
      await page.getByRole('heading', { name: 'Console Teapot', level: 1 }).waitFor()
      await page.getByLabel('Change (units)').fill('-2')
      await page.getByRole('button', { name: 'Adjust' }).click()
      await page.getByText('Say why').waitFor()
      await page.getByLabel('Reason').fill('Two dropped in the warehouse')
      await page.getByRole('button', { name: 'Adjust' }).click()
      await page.getByText('Stock lowered by 2.').waitFor()
      await page.waitForFunction(() => document.querySelector('[data-figure="stock"]')?.textContent === '11')
      expect(await page.locator('tr[data-kind]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-kind')))).toEqual(['adjustment', 'supply', 'initial'])
      await shot(page, '13-inventory-product')

      // A customer who bought the teapot and reviewed it: their page, then the review hidden.
      const buyer = await s.customer(50_000, 'Margaret')
      const bought = await paidOrderOf(buyer, productId)
      for (const step of ['ship', 'deliver'])
        await s.request(s.urls.gateway, 'POST', `/api/orders/${bought.id}/${step}`, { token: s.adminToken, key: crypto.randomUUID(), body: step === 'ship' ? { carrier: 'DHL', trackingNumber: 'JD77' } : undefined })
      const deadline = Date.now() + 15_000
      let review = await s.request(s.urls.gateway, 'POST', '/api/reviews', { token: buyer.token, body: { productId, rating: 2, body: 'Rusty after a week.' } })
      while (review.status !== 201 && Date.now() < deadline) {
        await Bun.sleep(200)
        review = await s.request(s.urls.gateway, 'POST', '/api/reviews', { token: buyer.token, body: { productId, rating: 2, body: 'Rusty after a week.' } })
      }
      expect(review.status).toBe(201)
      const buyerEmail = (await s.request(s.urls.gateway, 'GET', '/api/users/me', { token: buyer.token })).body.email as string
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Customers' }).click()
      await page.getByLabel('Email or name starts with').fill(buyerEmail.slice(0, 12))
      await page.getByRole('button', { name: 'Find' }).click()
      await page.locator(`tr[data-customer="${buyerEmail}"] a`).click()
      await page.getByRole('heading', { name: 'Margaret', level: 1 }).waitFor()
      const balance = await s.balance(buyer.token)
      await expect(page.getByTestId('wallet-balance').textContent()).resolves.toContain(new Intl.NumberFormat('en-US', { style: 'currency', currency: 'EUR' }).format(balance / 100))
      await page.locator('tr[data-order] a').first().waitFor()
      await shot(page, '14-customer')

      const rated = async () => (await s.request(s.urls.gateway, 'GET', `/api/products/${productId}`)).body.rating.count as number
      while ((await rated()) !== 1 && Date.now() < deadline) await Bun.sleep(100)
      expect(await rated()).toBe(1)
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Reviews' }).click()
      const item = page.locator(`li[data-review="${review.body.id}"]`)
      await item.waitFor()
      await shot(page, '15-reviews')
      await item.getByRole('button', { name: /^Hide/ }).click()
      await item.getByRole('button', { name: /^Show again/ }).waitFor()
      await page.getByText(/is hidden; the product's rating follows/).waitFor()
      // The product's rating no longer counts it.
      const hiddenBy = Date.now() + 15_000
      while ((await rated()) !== 0 && Date.now() < hiddenBy) await Bun.sleep(100)
      expect(await rated()).toBe(0)
      await page.getByLabel('Show').selectOption('true')
      await page.locator(`li[data-review="${review.body.id}"].hidden-review`).waitFor()
      await shot(page, '16-reviews-hidden')
    } finally {
      await context.close()
    }
  }, 180_000)

  test('a customer sees no console and never downloads its code', async () => {
    const c = await s.customer(0, 'Casey')
    const me = (await s.request(s.urls.gateway, 'GET', '/api/users/me', { token: c.token })).body
    const context = await browser.newContext({ viewport: { width: WIDTH, height: 800 } })
    const page = await context.newPage()
    const scripts: string[] = []
    page.on('request', (request) => void (request.resourceType() === 'script' && scripts.push(new URL(request.url()).pathname)))
    try {
      // Registered through the API: sign in with the password the system gives every customer.
      await signIn(page, s.urls.gateway, me.email, '/admin')
      await page.getByRole('heading', { name: "This is for the shop's owner" }).waitFor()
      expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Console' }).count()).toBe(0)
      await shot(page, '9-customer-refused')
      expect(scripts.length).toBeGreaterThan(0)
      expect(scripts.filter((path) => path.includes('console'))).toEqual([])
      // And the API refuses the customer on every admin route the console uses.
      for (const path of [
        '/api/admin/orders',
        '/api/admin/orders/stats',
        '/api/admin/orders/events',
        '/api/admin/system',
        `/api/users/${me.id}`,
        '/api/admin/users',
        `/api/admin/wallets/${me.id}`,
        `/api/admin/wallets/${me.id}/transactions`,
        '/api/admin/reviews',
        '/api/inventory/products',
        '/api/inventory/movements',
        '/api/inventory/low-stock',
      ])
        expect({ path, status: (await fetch(`${s.urls.gateway}${path}`, { headers: { authorization: `Bearer ${c.token}` } })).status }).toEqual({ path, status: 403 })
    } finally {
      await context.close()
    }
  }, 60_000)
})
