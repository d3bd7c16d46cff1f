/**
 * `bun run start` as a developer runs it: on its own database, it comes up, answers, and stops
 * cleanly on SIGTERM leaving no process behind; without Postgres it says what is missing.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import postgres from 'postgres'
import { TEST_DATABASE_URL, deleteRedisPrefix, freePort, uniqueName } from '@shop/shared/testing'
import { PROCESSES } from '../scripts/processes.ts'
import { DEMO_PRODUCTS } from '../services/catalog/src/demo-data.ts'

const ROOT = join(import.meta.dir, '..')
const dbName = uniqueName('start')
const queuePrefix = uniqueName('q')
const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} })
const databaseUrl = (() => {
  const url = new URL(TEST_DATABASE_URL)
  url.pathname = `/${dbName}`
  return url.toString()
})()

beforeAll(async () => {
  await admin.unsafe(`create database ${dbName}`)
})
afterAll(async () => {
  await deleteRedisPrefix(queuePrefix)
  await admin.unsafe(`drop database if exists ${dbName} with (force)`)
  await admin.end()
})

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, pattern: RegExp, timeoutMs: number, sink: string[]) {
  const decoder = new TextDecoder()
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const next = await Promise.race([reader.read(), Bun.sleep(deadline - Date.now()).then(() => undefined)])
    if (!next || next.done) break
    sink.push(decoder.decode(next.value))
    if (pattern.test(sink.join(''))) return true
  }
  return false
}

describe('bun run start', () => {
  test('brings the system up, serves requests, and stops every child on SIGTERM', async () => {
    const port = freePort()
    const paymentsPort = freePort()
    const catalogPort = freePort()
    const ordersPort = freePort()
    const child = Bun.spawn(['bun', 'run', 'start'], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        USERS_PORT: String(port),
        PAYMENTS_PORT: String(paymentsPort),
        CATALOG_PORT: String(catalogPort),
        ORDERS_PORT: String(ordersPort),
        QUEUE_PREFIX: queuePrefix,
        NO_COLOR: '1',
      },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const output: string[] = []
    const reader = (child.stdout as ReadableStream<Uint8Array>).getReader()
    try {
      expect(await readUntil(reader, /the shop is up/, 60_000, output)).toBe(true)
      const pids = [...output.join('').matchAll(/([\w-]+) started, pid (\d+)/g)].map((m) => Number(m[2]))
      expect(pids.length).toBe(PROCESSES.length)

      const ready = await fetch(`http://127.0.0.1:${port}/ready`)
      expect(ready.status).toBe(200)
      const register = await fetch(`http://127.0.0.1:${port}/api/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'start@example.com', password: 'correct horse battery', name: 'Start' }),
      })
      expect(register.status).toBe(201)
      const login = await fetch(`http://127.0.0.1:${port}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'start@example.com', password: 'correct horse battery' }),
      })
      const { accessToken } = (await login.json()) as { accessToken: string }
      // Payments verifies the token against users' JWKS over HTTP.
      const auth = { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' }
      const payments = `http://127.0.0.1:${paymentsPort}/api/wallet`
      expect((await fetch(payments, { method: 'POST', headers: auth, body: JSON.stringify({ currency: 'EUR' }) })).status).toBe(201)
      const deposit = await fetch(`${payments}/deposits`, {
        method: 'POST',
        headers: { ...auth, 'idempotency-key': 'start-test' },
        body: JSON.stringify({ amount: 2500 }),
      })
      expect(deposit.status).toBe(201)
      expect(((await (await fetch(payments, { headers: auth })).json()) as { balance: number }).balance).toBe(2500)
      // bun run start fills the empty catalog with the demo products.
      const products = (await (await fetch(`http://127.0.0.1:${catalogPort}/api/products?limit=100`)).json()) as { items: unknown[] }
      expect(products.items.length).toBe(DEMO_PRODUCTS.length)
      // An order through every process: reserved by catalog, paid by the payments worker.
      const product = products.items[0] as { id: string; price: number }
      const order = await fetch(`http://127.0.0.1:${ordersPort}/api/orders`, {
        method: 'POST',
        headers: { ...auth, 'idempotency-key': 'start-order' },
        body: JSON.stringify({ items: [{ productId: product.id, quantity: 1 }] }),
      })
      expect(order.status).toBe(202)
      const { id: orderId } = (await order.json()) as { id: string }
      let status = 'NEW'
      for (let i = 0; i < 200 && status === 'NEW'; i++) {
        await Bun.sleep(50)
        status = ((await (await fetch(`http://127.0.0.1:${ordersPort}/api/orders/${orderId}`, { headers: auth })).json()) as { status: string }).status
      }
      expect(status).toBe(product.price <= 2500 ? 'PAID' : 'CANCELLED')

      child.kill('SIGTERM')
      const code = await Promise.race([child.exited, Bun.sleep(20_000).then(() => 'timeout')])
      expect(code).toBe(0)
      await readUntil(reader, /all processes stopped/, 5000, output)
      expect(output.join('')).toContain('all processes stopped')
      for (const pid of pids) expect({ pid, alive: alive(pid) }).toEqual({ pid, alive: false })
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  }, 90_000)

  test('without a reachable Postgres it names the URL, says how to start one, and starts nothing', async () => {
    const child = Bun.spawn(['bun', 'run', 'start'], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: 'postgres://postgres@127.0.0.1:1/shop',
        USERS_PORT: String(freePort()),
        PAYMENTS_PORT: String(freePort()),
        CATALOG_PORT: String(freePort()),
        ORDERS_PORT: String(freePort()),
      },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const code = await child.exited
    const stderr = await new Response(child.stderr as ReadableStream).text()
    const stdout = await new Response(child.stdout as ReadableStream).text()
    expect(code).toBe(1)
    expect(stderr).toContain('PostgreSQL at postgres://postgres@127.0.0.1:1/shop does not answer')
    expect(stderr).toContain('pg_ctlcluster')
    expect(stdout).not.toContain('started, pid')
  }, 30_000)
})
