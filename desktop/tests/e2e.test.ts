/**
 * The customer's journey in Debian's Chromium (playwright-core), on the web build served by the
 * real gateway in front of every service: register, top up, search, order, see it turn PAID live,
 * the balance drop, cancel and the refund; a double-clicked Pay makes one order; a server error
 * shows a readable message. Screenshots of each main screen go to desktop/test-results/.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import type { System } from '../../tests/system.ts'
import { SHOTS, addAddress, startWebShop } from './web-shop.ts'

let s: System
let browser: Browser
let stop: () => Promise<void> = async () => {}

beforeAll(async () => {
  ;({ s, browser, stop } = await startWebShop('e2e'))
}, 120_000)

afterAll(() => stop(), 60_000)

async function newCustomerPage(): Promise<{ page: Page; email: string }> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 860 } })
  const page = await context.newPage()
  await page.goto(s.urls.gateway)
  const email = `ui-${Date.now()}-${Math.random().toString(36).slice(2, 6)}@shop.test`
  // The shop opens on its products for every visitor; an account is asked for when needed.
  await page.getByRole('link', { name: 'Sign in' }).click()
  await page.getByRole('button', { name: 'Create an account' }).click()
  await page.getByLabel('Name').fill('Ada Customer')
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill('correct horse battery')
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.getByRole('link', { name: 'Wallet' }).waitFor()
  return { page, email }
}

async function openWalletAndTopUp(page: Page, amount: string) {
  await page.getByRole('link', { name: 'Wallet' }).click()
  const open = page.getByRole('button', { name: 'Open wallet' })
  await page.locator('[data-testid=balance], button:has-text("Open wallet")').first().waitFor()
  if (await open.isVisible()) await open.click()
  await page.getByLabel(/Top up/).fill(amount)
  await page.getByRole('button', { name: 'Add demo money' }).click()
  await page.getByText(/^Added /).waitFor()
}

/** Waits until the wallet screen shows `text` as the balance (it reloads after each change). */
const waitForBalance = (page: Page, text: string) =>
  page.waitForFunction((t) => document.querySelector('[data-testid=balance]')?.textContent?.includes(t), text)

describe('the customer journey in Chromium', () => {
  test('register, top up, search, order, PAID live, balance drops, cancel, refund', async () => {
    const product = await s.product({ name: 'Copper Pour-Over Kettle', price: 4250, stock: 7 })
    const { page } = await newCustomerPage()
    await page.screenshot({ path: join(SHOTS, '1-catalog.png'), fullPage: true })

    await openWalletAndTopUp(page, '100,50')
    await waitForBalance(page, '100.50')
    await page.screenshot({ path: join(SHOTS, '2-wallet.png'), fullPage: true })

    await page.getByRole('link', { name: 'Products' }).click()
    await page.getByLabel('Search').fill('copper kettle')
    const card = page.locator(`[data-product="Copper Pour-Over Kettle"]`)
    await card.waitFor()
    expect(await card.innerText()).toContain('42.50')
    expect(await card.innerText()).toContain('7 in stock')
    await card.getByRole('button', { name: 'Add to cart' }).click()
    await page.getByRole('link', { name: /Cart \(1\)/ }).click()
    await page.screenshot({ path: join(SHOTS, '3-cart.png'), fullPage: true })
    await addAddress(page)
    await page.getByRole('button', { name: 'Pay' }).click()

    // The order page turns PAID without a reload, pushed by the event stream.
    await page.locator('h1 [data-status="PAID"]').waitFor({ timeout: 15_000 })
    await page.screenshot({ path: join(SHOTS, '4-order-paid.png'), fullPage: true })
    const orders = await s.request(s.urls.orders, 'GET', '/api/orders', { token: await tokenOf(page) })
    expect(orders.body.items.length).toBe(1)
    expect(orders.body.items[0].items[0].productId).toBe(product.id)

    await page.getByRole('link', { name: 'Wallet' }).click()
    await waitForBalance(page, '58.00')
    await page.locator('tr[data-kind="payment"]').first().waitFor()
    expect(await page.locator('tr[data-kind="payment"]').count()).toBe(1)

    await page.getByRole('link', { name: 'Orders' }).click()
    await page.locator('.order-row a').first().click()
    await page.getByRole('button', { name: 'Cancel and refund' }).click()
    // A confirmation first: the dialog's own button does it.
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel and refund' }).click()
    await page.getByTestId('refund').getByText('Refunded to your wallet').waitFor({ timeout: 15_000 })
    await page.screenshot({ path: join(SHOTS, '5-order-refunded.png'), fullPage: true })
    expect(await page.locator('.timeline li').evaluateAll((items) => items.map((li) => li.getAttribute('data-event')))).toEqual([
      'created',
      'paid',
      'cancelled',
      'refund_requested',
      'refunded',
    ])
    expect(await page.locator('.timeline li').allInnerTexts()).toEqual([
      expect.stringContaining('Order placed'),
      expect.stringContaining('Paid'),
      expect.stringContaining('Cancelled (cancelled by you)'),
      expect.stringContaining('Refund requested'),
      expect.stringContaining('Refunded to your wallet'),
    ])
    await page.getByRole('link', { name: 'Wallet' }).click()
    await waitForBalance(page, '100.50')
    await page.screenshot({ path: join(SHOTS, '6-wallet-after-refund.png'), fullPage: true })
  }, 90_000)

  test('a double-clicked Pay makes one order and charges once', async () => {
    await s.product({ name: 'Double Click Mug', price: 1000, stock: 20 })
    const { page } = await newCustomerPage()
    await openWalletAndTopUp(page, '50')
    await page.getByRole('link', { name: 'Products' }).click()
    await page.getByLabel('Search').fill('double click mug')
    await page.locator('[data-product="Double Click Mug"]').getByRole('button', { name: 'Add to cart' }).click()
    await page.getByRole('link', { name: /Cart/ }).click()
    await addAddress(page)
    await page.getByRole('button', { name: 'Pay' }).dblclick()
    await page.locator('h1 [data-status="PAID"]').waitFor({ timeout: 15_000 })
    const token = await tokenOf(page)
    const orders = await s.request(s.urls.orders, 'GET', '/api/orders', { token })
    expect(orders.body.items.length).toBe(1)
    expect(await s.balance(token)).toBe(4000)
  }, 60_000)

  test('a demo top-up: labelled demo money, credited at once, in the history, and said live', async () => {
    const { page } = await newCustomerPage()
    await page.getByRole('link', { name: 'Wallet' }).click()
    await page.getByRole('button', { name: 'Open wallet' }).click()
    // The shop runs the demo provider: the form says no card is charged before anything is sent.
    expect(await page.getByTestId('demo-note').innerText()).toContain('Demo money')
    expect(await page.getByTestId('demo-note').innerText()).toContain('charges no card')
    await page.getByLabel(/Top up/).fill('25')
    await page.getByRole('button', { name: 'Add demo money' }).click()
    await page.getByRole('status').getByText('Added €25.00 of demo money').waitFor()
    await waitForBalance(page, '25.00')
    await page.locator('tr[data-kind="deposit"]').getByText('Top-up').waitFor()
    // The settled top-up also arrives on the live stream (through payments' outbox and orders).
    await page.locator('.toast').getByText('Top-up of €25.00 added to your wallet (demo money)').waitFor({ timeout: 15_000 })
    await page.screenshot({ path: join(SHOTS, '8-wallet-demo-top-up.png'), fullPage: true })
    const token = await tokenOf(page)
    const wallet = (await s.request(s.urls.payments, 'GET', '/api/wallet', { token })).body
    expect(wallet).toMatchObject({ balance: 2500, topUpProvider: 'demo' })
    const topUps = await s.db.payments.sql`select provider, status, amount from top_ups where wallet_id = ${wallet.id}`
    expect([...topUps]).toEqual([{ provider: 'demo', status: 'succeeded', amount: 2500 }])
  }, 60_000)

  test('the top-up field takes decimal text and refuses what is not money', async () => {
    const { page } = await newCustomerPage()
    await page.getByRole('link', { name: 'Wallet' }).click()
    await page.getByRole('button', { name: 'Open wallet' }).click()
    const field = page.getByLabel(/Top up/)
    await field.fill('12.345')
    await page.getByText('At most 2 decimals').waitFor()
    expect(await page.getByRole('button', { name: 'Add demo money' }).isDisabled()).toBe(true)
    await field.fill('0.10')
    await page.getByText('You will add €0.10').waitFor()
    await page.getByRole('button', { name: 'Add demo money' }).click()
    await page.getByText('Added €0.10').waitFor()
    expect(await s.balance(await tokenOf(page))).toBe(10)
  }, 60_000)

  test('a server error shows a readable message, not a dump', async () => {
    const { page } = await newCustomerPage()
    await page.route('**/api/products**', (route) =>
      route.fulfill({ status: 500, contentType: 'text/html', body: '<html><body>Traceback: NullPointerException at line 42</body></html>' }),
    )
    await page.getByLabel('Search').fill('anything')
    const alert = page.getByRole('alert')
    await alert.waitFor()
    expect(await alert.innerText()).toBe('The shop had a problem answering. Please try again in a moment.')
    await page.screenshot({ path: join(SHOTS, '7-server-error.png'), fullPage: true })
    await page.unroute('**/api/products**')
    await page.route('**/api/wallet/top-ups', (route) =>
      route.fulfill({
        status: 422,
        contentType: 'application/problem+json',
        body: JSON.stringify({ type: 'x', title: 'Unprocessable Content', status: 422, code: 'validation_failed', detail: 'amount: must be a whole number of minor units from 1 to 1000000' }),
      }),
    )
    await page.getByRole('link', { name: 'Wallet' }).click()
    await page.getByRole('button', { name: 'Open wallet' }).click()
    await page.getByLabel(/Top up/).fill('5')
    await page.getByRole('button', { name: 'Add demo money' }).click()
    expect(await page.getByRole('alert').innerText()).toBe('amount: must be a whole number of minor units from 1 to 1000000')
  }, 60_000)
})

/** The web build keeps the refresh token in sessionStorage; trade it for an access token. */
async function tokenOf(page: Page): Promise<string> {
  const refreshToken = await page.evaluate(() => sessionStorage.getItem('shop.refreshToken'))
  const res = await s.request(s.urls.users, 'POST', '/api/auth/refresh', { body: { refreshToken } })
  await page.evaluate((token) => sessionStorage.setItem('shop.refreshToken', token), res.body.refreshToken)
  return res.body.accessToken
}
