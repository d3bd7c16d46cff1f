/**
 * A service's Swagger UI in Debian's Chromium with every request off this machine refused: the
 * page renders the service's operations from its own assets (no CDN), and "Try it out" works
 * against the service. A screenshot goes to desktop/test-results/swagger-catalog.png.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { startSystem, type System } from '../../tests/system.ts'

const SHOTS = join(import.meta.dir, '..', 'test-results')
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

let s: System
let browser: Browser
beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true })
  s = await startSystem()
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}, 120_000)
afterAll(async () => {
  await browser?.close()
  await s?.stop()
}, 60_000)

describe('Swagger UI offline', () => {
  test("the catalog's Swagger UI renders its operations with nothing from another site, and Try it out answers", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    const offsite: string[] = []
    await page.route('**/*', (route) => {
      const url = new URL(route.request().url())
      if (url.hostname === '127.0.0.1' || url.hostname === 'localhost') return route.continue()
      offsite.push(url.href)
      return route.abort()
    })
    const product = await s.product({ price: 1234, stock: 3, name: 'Swagger Lamp' })
    await page.goto(`${s.urls.catalog}/swagger`)
    await page.waitForSelector('.opblock', { timeout: 20_000 })
    expect(await page.locator('.info .title').innerText()).toContain('Shop catalog service')
    const operations = await page.locator('.opblock-summary-path').allInnerTexts()
    expect(operations.map((o) => o.replace(/\u200b/g, ''))).toContain('/api/products/{id}')
    expect(operations.some((o) => o.includes('/internal'))).toBe(false)

    // Try it out: GET /api/products/{id} from the page, answered by the service.
    const block = page.locator('.opblock-get', { hasText: '/api/products/{id}' }).first()
    await block.locator('.opblock-summary').click()
    await block.locator('button.try-out__btn').click()
    await block.locator('input[placeholder="id"]').fill(product.id)
    await block.locator('button.execute').click()
    const live = block.locator('.live-responses-table')
    await live.locator('tbody .response-col_status').first().waitFor({ timeout: 10_000 })
    expect(await live.locator('tbody .response-col_status').first().innerText()).toContain('200')
    expect(await live.innerText()).toContain('Swagger Lamp')

    await page.screenshot({ path: join(SHOTS, 'swagger-catalog.png'), fullPage: false })
    expect(offsite).toEqual([])
    await page.close()
  }, 60_000)
})
