/**
 * `bun run start` as a developer runs it: on its own database, the whole system comes up, an
 * order placed through the gateway gets paid, and SIGTERM stops every process it started; without
 * Postgres it says what is missing and starts nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, chmodSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '@shop/shared/testing'
import { PROCESSES } from '../scripts/processes.ts'
import { jsonAt, ownStores, portEnv, readUntil } from './spawned.ts'
import { DEMO_PRODUCTS } from '../services/catalog/src/demo-data.ts'

const ROOT = join(import.meta.dir, '..')
const { databaseUrl, queuePrefix, create, drop } = ownStores('start')

beforeAll(create)
afterAll(drop)

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Runs `cmd` (from the root) to its exit, killed after `timeoutMs`: its exit code ('timeout' if killed) and output. */
async function runToExit(cmd: string[], env: Record<string, string | undefined>, timeoutMs = 20_000) {
  const child = Bun.spawn(cmd, { cwd: ROOT, env, stdout: 'pipe', stderr: 'pipe' })
  const code = await Promise.race([child.exited, Bun.sleep(timeoutMs).then(() => 'timeout')])
  if (child.exitCode === null) child.kill('SIGKILL')
  const [stdout, stderr] = await Promise.all([new Response(child.stdout as ReadableStream).text(), new Response(child.stderr as ReadableStream).text()])
  return { code, stdout, stderr }
}

describe('bun run start', () => {
  test('brings the whole system up; an order through the gateway is paid; Ctrl-C (SIGINT) stops every child', async () => {
    const ports = portEnv()
    const child = Bun.spawn(['bun', 'run', 'start'], {
      cwd: ROOT,
      env: { ...process.env, ...ports, DATABASE_URL: databaseUrl, QUEUE_PREFIX: queuePrefix, NO_COLOR: '1' },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const output: string[] = []
    const reader = (child.stdout as ReadableStream<Uint8Array>).getReader()
    try {
      expect(await readUntil(reader, /press Ctrl-C to stop/, 90_000, output)).toBe(true)
      const text = output.join('')
      const pids = [...text.matchAll(/([\w-]+) started, pid (\d+)/g)].map((m) => Number(m[2]))
      expect(pids.length).toBe(PROCESSES.length)
      const gateway = `http://127.0.0.1:${ports.GATEWAY_PORT}`
      expect(text).toContain(`web UI           http://localhost:${ports.GATEWAY_PORT}/`)
      expect(text).toContain(`/admin/queues`)

      expect((await fetch(`${gateway}/ready`)).status).toBe(200)
      // Every worker serves its operations: alive, ready (Postgres, Redis, its consumer), measured.
      for (const worker of PROCESSES.filter((p) => p.kind === 'worker')) {
        const base = `http://127.0.0.1:${ports[worker.portEnv]}`
        expect({ worker: worker.name, health: (await jsonAt(base)('GET', '/health')).body }).toEqual({ worker: worker.name, health: { status: 'ok', service: worker.name } })
        expect({ worker: worker.name, ready: (await jsonAt(base)('GET', '/ready')).body }).toEqual({
          worker: worker.name,
          ready: { status: 'ready', checks: { redis: 'up', worker: 'up', postgres: 'up' } },
        })
        const metrics = await (await fetch(`${base}/metrics`)).text()
        expect(metrics).toContain(`process_cpu_seconds_total{service="${worker.name}"}`)
      }
      const json = jsonAt(gateway)
      expect((await json('POST', '/api/auth/register', { email: 'start@example.com', password: 'correct horse battery', name: 'Start' })).status).toBe(201)
      const { accessToken } = (await json('POST', '/api/auth/login', { email: 'start@example.com', password: 'correct horse battery' })).body
      const auth = { authorization: `Bearer ${accessToken}` }
      expect((await json('POST', '/api/wallet', { currency: 'EUR' }, auth)).status).toBe(201)
      expect((await json('POST', '/api/wallet/deposits', { amount: 2500 }, { ...auth, 'idempotency-key': 'start-test' })).status).toBe(201)

      // bun run start fills the empty catalog with the demo products.
      const products = (await json('GET', '/api/products?limit=100&sort=price')).body.items as { id: string; price: number }[]
      expect(products.length).toBe(DEMO_PRODUCTS.length)
      const cheapest = products[0]!
      const order = await json('POST', '/api/orders', { items: [{ productId: cheapest.id, quantity: 1 }] }, { ...auth, 'idempotency-key': 'start-order' })
      expect(order.status).toBe(202)
      let status = 'NEW'
      for (let i = 0; i < 200 && status === 'NEW'; i++) {
        await Bun.sleep(50)
        status = (await json('GET', `/api/orders/${order.body.id}`, undefined, auth)).body.status
      }
      expect(status).toBe('PAID')
      expect((await json('GET', '/api/wallet', undefined, auth)).body.balance).toBe(2500 - cheapest.price)

      child.kill('SIGINT') // what Ctrl-C sends
      const code = await Promise.race([child.exited, Bun.sleep(30_000).then(() => 'timeout')])
      expect(code).toBe(0)
      await readUntil(reader, /all processes stopped/, 5000, output)
      expect(output.join('')).toContain('all processes stopped')
      for (const pid of pids) expect({ pid, alive: alive(pid) }).toEqual({ pid, alive: false })
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  }, 120_000)

  test('a port already taken stops the start, naming the port and the process; nothing is started or shared', async () => {
    const ports = portEnv()
    // Something else (another shop, say) listens on the orders port.
    const squatter = Bun.serve({ port: Number(ports.ORDERS_PORT), hostname: '0.0.0.0', fetch: () => new Response('another shop') })
    try {
      const { code, stdout, stderr } = await runToExit(['bun', 'run', 'start'], { ...process.env, ...ports, DATABASE_URL: databaseUrl, QUEUE_PREFIX: queuePrefix, NO_COLOR: '1' })
      expect(code).toBe(1)
      expect(stderr).toContain(`port ${ports.ORDERS_PORT} is already in use, so the orders API cannot listen on it`)
      expect(stderr).toContain('ORDERS_PORT')
      expect(stdout).not.toContain('started, pid')
      expect(await (await fetch(`http://127.0.0.1:${ports.ORDERS_PORT}/`)).text()).toBe('another shop')
    } finally {
      squatter.stop(true)
    }
  }, 30_000)

  test('a service started on a port that is taken says so and exits 1, instead of sharing the port', async () => {
    const port = freePort()
    const squatter = Bun.serve({ port, hostname: '127.0.0.1', fetch: () => new Response('another shop') })
    try {
      const { code, stderr } = await runToExit(['bun', join(ROOT, 'services/catalog/src/main.ts')], { ...process.env, DATABASE_URL: databaseUrl, QUEUE_PREFIX: queuePrefix, CATALOG_PORT: String(port), HOST: '127.0.0.1', INTERNAL_TOKEN: 'a-long-enough-internal-token', DEMO_DATA: '0', LOG_LEVEL: 'error' })
      expect(code).toBe(1)
      expect(stderr).toContain(`[catalog] failed to start: port ${port} is already in use, so the catalog API cannot listen on it`)
      for (let i = 0; i < 5; i++) expect(await (await fetch(`http://127.0.0.1:${port}/health`)).text()).toBe('another shop')
    } finally {
      squatter.stop(true)
    }
  }, 30_000)

  test('without a reachable Postgres it names the URL, says how to start one, and starts nothing', async () => {
    const { code, stdout, stderr } = await runToExit(['bun', 'run', 'start'], { ...process.env, ...portEnv(), DATABASE_URL: 'postgres://postgres@127.0.0.1:1/shop' }, 25_000)
    expect(code).toBe(1)
    expect(stderr).toContain('PostgreSQL at postgres://postgres@127.0.0.1:1/shop does not answer')
    expect(stderr).toContain('pg_ctlcluster')
    expect(stdout).not.toContain('started, pid')
  }, 30_000)

  /** Environment with no DATABASE_URL / REDIS_URL and nothing on the local ports start looks at. */
  function bareEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
    const env: Record<string, string> = { ...(process.env as Record<string, string>), ...portEnv(), NO_COLOR: '1', SHOP_DATA_DIR: dataDir }
    delete env.DATABASE_URL
    delete env.REDIS_URL
    env.LOCAL_POSTGRES_PORT = String(freePort())
    env.LOCAL_REDIS_PORT = String(freePort())
    return { ...env, ...extra }
  }

  test('with no database configured and none on the machine, it runs an embedded PostgreSQL and a private redis-server in the data folder; an order is paid; Ctrl-C stops both; the next start finds the same shop', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'shop-data-'))
    chmodSync(dataDir, 0o755) // as root, PostgreSQL runs as the postgres user, which must get in
    const env = bareEnv(dataDir)
    const gateway = `http://127.0.0.1:${env.GATEWAY_PORT}`
    const json = jsonAt(gateway)
    const run = async (check: (text: string) => Promise<void>) => {
      const child = Bun.spawn(['bun', 'run', 'start'], { cwd: ROOT, env, stdout: 'pipe', stderr: 'pipe' })
      const output: string[] = []
      const reader = (child.stdout as ReadableStream<Uint8Array>).getReader()
      try {
        const up = await readUntil(reader, /press Ctrl-C to stop/, 90_000, output)
        if (!up) throw new Error(`start did not come up:\n${output.join('')}\n${await new Response(child.stderr as ReadableStream).text()}`)
        const text = output.join('')
        const pgPid = Number(/PostgreSQL is up on 127\.0\.0\.1:\d+, pid (\d+)/.exec(text)?.[1])
        const redisPid = Number(/redis-server is up on 127\.0\.0\.1:\d+, pid (\d+)/.exec(text)?.[1])
        expect(alive(pgPid)).toBe(true)
        expect(alive(redisPid)).toBe(true)
        await check(text)
        child.kill('SIGINT')
        expect(await Promise.race([child.exited, Bun.sleep(30_000).then(() => 'timeout')])).toBe(0)
        await readUntil(reader, /all processes stopped/, 5000, output)
        for (const pid of [pgPid, redisPid]) expect({ pid, alive: alive(pid) }).toEqual({ pid, alive: false })
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL')
      }
    }
    try {
      await run(async (text) => {
        expect(text).toContain(`no DATABASE_URL and nothing on 127.0.0.1:${env.LOCAL_POSTGRES_PORT}: running an embedded PostgreSQL`)
        expect(text).toContain(`its data is in ${join(dataDir, 'postgres')}`)
        expect(text).toContain('creating the database cluster')
        expect(text).toContain(`running ${Bun.which('redis-server')} with its data in ${join(dataDir, 'redis')}`)
        expect((await json('POST', '/api/auth/register', { email: 'embedded@example.com', password: 'correct horse battery', name: 'Embedded' })).status).toBe(201)
        const { accessToken } = (await json('POST', '/api/auth/login', { email: 'embedded@example.com', password: 'correct horse battery' })).body
        const auth = { authorization: `Bearer ${accessToken}` }
        expect((await json('POST', '/api/wallet', { currency: 'EUR' }, auth)).status).toBe(201)
        expect((await json('POST', '/api/wallet/deposits', { amount: 2500 }, { ...auth, 'idempotency-key': 'embedded-deposit' })).status).toBe(201)
        const products = (await json('GET', '/api/products?limit=100&sort=price')).body.items as { id: string; price: number }[]
        expect(products.length).toBe(DEMO_PRODUCTS.length)
        const order = await json('POST', '/api/orders', { items: [{ productId: products[0]!.id, quantity: 1 }] }, { ...auth, 'idempotency-key': 'embedded-order' })
        expect(order.status).toBe(202)
        let status = 'NEW'
        for (let i = 0; i < 200 && status === 'NEW'; i++) {
          await Bun.sleep(50)
          status = (await json('GET', `/api/orders/${order.body.id}`, undefined, auth)).body.status
        }
        expect(status).toBe('PAID')
      })
      // Same folder, second start: no new cluster, and the customer, their wallet and order are there.
      await run(async (text) => {
        expect(text).not.toContain('creating the database cluster')
        const login = await json('POST', '/api/auth/login', { email: 'embedded@example.com', password: 'correct horse battery' })
        expect(login.status).toBe(200)
        const auth = { authorization: `Bearer ${login.body.accessToken}` }
        const orders = (await json('GET', '/api/orders', undefined, auth)).body.items as { status: string }[]
        expect(orders.map((o) => o.status)).toEqual(['PAID'])
      })
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  }, 180_000)

  test('with no Redis anywhere and no redis-server installed, it says how to install one and starts no service', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'shop-data-'))
    const bin = mkdtempSync(join(tmpdir(), 'shop-bin-'))
    symlinkSync(process.execPath, join(bin, 'bun')) // a PATH with bun and nothing else
    try {
      const { code, stdout, stderr } = await runToExit(['bun', 'run', 'start'], bareEnv(dataDir, { DATABASE_URL: databaseUrl, PATH: bin }))
      expect(code).toBe(1)
      expect(stderr).toContain('no redis-server on this machine')
      expect(stderr).toContain('apt-get install -y redis-server')
      expect(stderr).toContain('brew install redis')
      expect(stdout).not.toContain('started, pid')
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
      rmSync(bin, { recursive: true, force: true })
    }
  }, 30_000)
})
