/**
 * What the browser tests share: the web build (a build of its own, so a shop running from this
 * checkout keeps serving desktop/dist-web untouched) behind the whole system and its gateway,
 * Debian's Chromium, and the steps many journeys take (sign in, add an address at checkout).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import { expect } from 'bun:test'
import { chromium, type Browser, type Page } from 'playwright-core'
import { startSystem, type System, type SystemOptions } from '../../tests/system.ts'

const DESKTOP = join(import.meta.dir, '..')
export const SHOTS = join(DESKTOP, 'test-results')
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export async function startWebShop(label: string, options: Omit<SystemOptions, 'gateway'> = {}): Promise<{ s: System; browser: Browser; stop: () => Promise<void> }> {
  const web = mkdtempSync(join(tmpdir(), `shop-web-${label}-`))
  const build = Bun.spawnSync(['bunx', 'vite', 'build', '--config', 'vite.config.ts', '--outDir', web, '--emptyOutDir'], { cwd: DESKTOP, stdout: 'pipe', stderr: 'pipe' })
  if (build.exitCode !== 0) throw new Error(`web build failed: ${build.stderr.toString()}`)
  mkdirSync(SHOTS, { recursive: true })
  const s = await startSystem({ ...options, gateway: { webDir: web, writesPerMinute: 10_000 } })
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  return {
    s,
    browser,
    async stop() {
      await browser.close()
      await s.stop()
      rmSync(web, { recursive: true, force: true })
    },
  }
}

/** Signs in on the sign-in screen, which then goes to `next`. */
export async function signIn(page: Page, gateway: string, email: string, next: string, password = 'correct horse battery') {
  await page.goto(`${gateway}/#/signin?next=${encodeURIComponent(next)}`)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

/** At checkout: adds an address to the book (it becomes the one the order ships to). */
export async function addAddress(page: Page, a = { name: 'Ada Customer', line1: '12 St James Square', postalCode: 'SW1Y 4JH', city: 'London', country: 'gb' }) {
  await page.getByRole('button', { name: 'Add an address' }).click()
  await page.getByLabel('Full name').fill(a.name)
  await page.getByLabel('Street and number').fill(a.line1)
  await page.getByLabel('Postal code').fill(a.postalCode)
  await page.getByLabel('City').fill(a.city)
  await page.getByLabel(/Country code/).fill(a.country)
  await page.getByRole('button', { name: 'Save the address' }).click()
  await page.getByRole('radio', { name: new RegExp(`${a.name}, ${a.line1}`) }).waitFor()
}

/**
 * Once the screen has settled (its pictures loaded, nothing busy): axe on the whole page (a
 * violation of any impact fails), nothing wider than the viewport (sideways scrolling), then a
 * full-page screenshot `test-results/<shot>.png`.
 */
export async function checkScreen(page: Page, shot: string) {
  // (Not networkidle: a signed-in page keeps its live order stream open.)
  await page.waitForFunction(() => [...document.images].every((img) => img.complete) && !document.querySelector('[aria-busy=true]'))
  const results = await new AxeBuilder({ page }).analyze()
  const violations = results.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
  expect({ screen: shot, violations }).toEqual({ screen: shot, violations: [] })
  const wide = await page.evaluate(() => ({
    page: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
    // What sticks out, to say where (empty when nothing does).
    over: [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${el.className} ${Math.round(el.getBoundingClientRect().right)}`),
  }))
  expect({ screen: shot, scrollWidth: wide.page, over: wide.over }).toEqual({ screen: shot, scrollWidth: wide.viewport, over: [] })
  // From the top: a full-page shot taken scrolled would draw the sticky header mid-page.
  await page.evaluate(() => window.scrollTo(0, 0))
  await page.screenshot({ path: join(SHOTS, `${shot}.png`), fullPage: true })
}
