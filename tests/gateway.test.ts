/**
 * Through the gateway, with every service running: the order journey, SSE passing through
 * unbuffered, CORS, limits, problems for a service that is down or slow, the combined docs, the
 * queue dashboard behind admin sign-in, and the web UI at /.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTokenVerifier, remoteKeySet } from '@shop/shared/http/auth'
import { TRUST_NO_ONE, trustedProxies } from '@shop/shared/http/client-address'
import { createRedis } from '@shop/shared/data/redis'
import { TEST_REDIS_URL, call, testLog, uniqueName, deleteRedisPrefix } from '@shop/shared/testing'
import { workerConnection } from '@shop/shared/messaging/queue'
import { Registry } from '@shop/shared/runtime/metrics'
import { createApp as createGatewayApp, type GatewayDeps } from '../services/gateway/src/app.ts'
import { readConfig as readGatewayConfig } from '../services/gateway/src/config.ts'
import { TEST_AUDIENCE, TEST_ISSUER } from '../services/users/src/testing.ts'
import { openSse } from './sse.ts'
import { noisyPng } from '../services/catalog/src/testing.ts'
import { startSystem, type System } from './system.ts'

let s: System
let gw: string
const webDir = mkdtempSync(join(tmpdir(), 'shop-web-'))

beforeAll(async () => {
  s = await startSystem({ gateway: { origins: ['http://allowed.example'], webDir } })
  gw = s.urls.gateway
}, 60_000)
afterAll(async () => {
  await s.stop()
  rmSync(webDir, { recursive: true, force: true })
}, 60_000)

const api = (method: string, path: string, options: Parameters<System['request']>[3] = {}) => s.request(gw, method, path, options)

/** A second gateway over the same services, built with other settings, driven with handle(). */
function gatewayWith(overrides: Partial<GatewayDeps>) {
  const redis = createRedis(TEST_REDIS_URL)
  const queueConnection = workerConnection(TEST_REDIS_URL)
  const prefix = uniqueName('gw')
  const app = createGatewayApp({
    redis,
    queueConnection,
    log: testLog,
    verifier: createTokenVerifier({ keys: remoteKeySet(`${s.urls.users}/.well-known/jwks.json`), issuer: TEST_ISSUER, audience: TEST_AUDIENCE }),
    upstreams: { users: s.urls.users, orders: s.urls.orders, payments: s.urls.payments, catalog: s.urls.catalog, reviews: s.urls.reviews },
    prefix,
    origins: [],
    maxBodyBytes: 65_536,
    timeoutMs: 10_000,
    userWritesPerMinute: 10_000,
    anonymousWritesPerMinute: 10_000,
    trustedProxies: TRUST_NO_ONE,
    webDir: '/nonexistent',
    ...overrides,
  })
  let server: { stop(closeActive?: boolean): unknown } | undefined
  return {
    app,
    /** Listens on a free loopback port (requests then have a peer address); returns the base URL. */
    listen() {
      const listening = app.listen({ port: 0, hostname: '127.0.0.1' }).server!
      server = listening
      return `http://127.0.0.1:${listening.port}`
    },
    async close() {
      await server?.stop(true)
      redis.disconnect()
      queueConnection.disconnect()
      await deleteRedisPrefix(prefix)
    },
  }
}

describe('the order journey through the gateway', () => {
  test('register, sign in, top up, browse, order, see it PAID live, cancel and get the refund', async () => {
    const email = `journey-${Date.now()}@shop.test`
    expect((await api('POST', '/api/auth/register', { body: { email, password: 'correct horse battery', name: 'J' } })).status).toBe(201)
    const { accessToken: token } = (await api('POST', '/api/auth/login', { body: { email, password: 'correct horse battery' } })).body
    expect((await api('GET', '/api/users/me', { token })).body.email).toBe(email)
    expect((await api('POST', '/api/wallet', { token, body: { currency: 'EUR' } })).status).toBe(201)
    expect((await api('POST', '/api/wallet/deposits', { token, body: { amount: 5000 }, key: 'journey-topup' })).status).toBe(201)
    const product = await s.product({ price: 1999, stock: 5, name: 'Journey Kettle' })
    const found = await api('GET', '/api/products?q=journey')
    expect(found.body.items.map((p: { id: string }) => p.id)).toContain(product.id)
    expect((await api('GET', '/api/categories')).status).toBe(200)

    const stream = await openSse(`${gw}/api/orders/events`, { authorization: `Bearer ${token}` })
    try {
      expect(stream.contentType).toContain('text/event-stream')
      const order = await api('POST', '/api/orders', { token, body: { items: [{ productId: product.id, quantity: 1 }] }, key: 'journey-order' })
      expect(order.status).toBe(202)
      const events = [await stream.next(), await stream.next()].map((e) => JSON.parse(e.data))
      expect(events.map((e) => e.status)).toEqual(['NEW', 'PAID'])
      expect((await api('GET', '/api/wallet', { token })).body.balance).toBe(5000 - 1999)
      const cancel = await api('POST', `/api/orders/${order.body.id}/cancel`, { token, key: 'journey-cancel' })
      expect(cancel.status).toBe(200)
      const refunded = [await stream.next(), await stream.next(), await stream.next()].map((e) => JSON.parse(e.data).event)
      expect(refunded).toEqual(['cancelled', 'refund_requested', 'refunded'])
      expect((await api('GET', '/api/wallet', { token })).body.balance).toBe(5000)
      const ledger = await api('GET', '/api/wallet/transactions', { token })
      expect(ledger.body.items.map((e: { kind: string }) => e.kind)).toEqual(['refund', 'payment', 'deposit'])
    } finally {
      stream.close()
    }
  })

  test('x-request-id is passed to the service and comes back; one is made when absent', async () => {
    const given = await api('GET', '/api/categories', { headers: { 'x-request-id': 'trace-me-123' } })
    expect(given.headers.get('x-request-id')).toBe('trace-me-123')
    const made = await api('GET', '/api/categories')
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
  })

  test('problems from services pass through unchanged', async () => {
    const res = await api('GET', '/api/wallet')
    expect(res.status).toBe(401)
    expect(res.headers.get('content-type')).toContain('application/problem+json')
  })

  test('unknown API paths are 404 problems and internal routes are never forwarded', async () => {
    expect((await api('GET', '/api/nothing')).status).toBe(404)
    expect((await api('GET', '/api/ordersx')).status).toBe(404)
    // The catalog would answer 401 (bad service token); the gateway has no such route.
    const internal = await api('POST', '/internal/reservations', { body: {}, headers: { 'x-service-token': 'guess' } })
    expect(internal.status).toBe(404)
    expect(internal.body.code).toBe('not_found')
  })

  test('/api/inventory reaches the catalog: admins read the stock ledger, customers are refused', async () => {
    const product = await s.product({ price: 500, stock: 3 })
    const customer = await s.customer()
    expect((await api('GET', '/api/inventory/low-stock', { token: customer.token })).status).toBe(403)
    const movements = await api('GET', `/api/inventory/movements?productId=${product.id}`, { token: s.adminToken })
    expect(movements.status).toBe(200)
    expect(movements.body.items.map((m: { kind: string; delta: number }) => [m.kind, m.delta])).toEqual([['initial', 3]])
  })

  test('security headers are on every answer', async () => {
    const res = await api('GET', '/api/categories')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'")
  })

  test('a body above the limit is a 413 problem with the security headers, whether it declares its length or comes in chunks', async () => {
    const res = await api('POST', '/api/auth/register', { body: { email: 'big@shop.test', password: 'x'.repeat(70_000), name: 'B' } })
    expect(res.status).toBe(413)
    expect(res.headers.get('content-type')).toContain('application/problem+json')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.body.code).toBe('payload_too_large')
    // Chunked: no Content-Length, counted as it streams through.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"email":"big@shop.test","name":"B","password":"'))
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(10_000)))
        controller.enqueue(new TextEncoder().encode('"}'))
        controller.close()
      },
    })
    const chunked = await fetch(`${gw}/api/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chunks })
    expect(chunked.status).toBe(413)
    expect(chunked.headers.get('content-type')).toContain('application/problem+json')
    expect(chunked.headers.get('content-security-policy')).toContain("default-src 'self'")
  })
})

describe('CORS', () => {
  test('a preflight from a listed origin is allowed with the API headers', async () => {
    const res = await fetch(`${gw}/api/orders`, {
      method: 'OPTIONS',
      headers: { origin: 'http://allowed.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'idempotency-key' },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('http://allowed.example')
    expect(res.headers.get('access-control-allow-headers')).toContain('idempotency-key')
  })

  test('another origin is refused and never echoed', async () => {
    const preflight = await fetch(`${gw}/api/orders`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
    })
    expect(preflight.status).toBe(403)
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull()
    const simple = await fetch(`${gw}/api/categories`, { headers: { origin: 'http://evil.example' } })
    expect(simple.headers.get('access-control-allow-origin')).toBeNull()
    const allowed = await fetch(`${gw}/api/categories`, { headers: { origin: 'http://allowed.example' } })
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://allowed.example')
  })
})

describe('the users service behind the gateway: address book and admin user list', () => {
  const ADDRESS = { name: 'Gate Keeper', line1: '1 Gateway Road', city: 'Porto', postalCode: '4000-123', country: 'PT' }

  test('/api/users/me/addresses and /api/admin/users reach users: answers, not 404s from the gateway', async () => {
    const c = await s.customer()
    const added = await api('POST', '/api/users/me/addresses', { token: c.token, body: ADDRESS })
    expect(added.status).toBe(201)
    const book = await api('GET', '/api/users/me/addresses', { token: c.token })
    expect(book.body.items.map((a: { id: string }) => a.id)).toEqual([added.body.id])
    expect((await api('PATCH', `/api/users/me/addresses/${added.body.id}`, { token: c.token, body: { city: 'Lisboa' } })).body.city).toBe('Lisboa')
    expect((await api('DELETE', `/api/users/me/addresses/${added.body.id}`, { token: c.token })).status).toBe(204)

    const { email } = (await api('GET', '/api/users/me', { token: c.token })).body
    const found = await api('GET', `/api/admin/users?q=${encodeURIComponent(email.toUpperCase())}`, { token: s.adminToken })
    expect(found.status).toBe(200)
    expect(found.body.items.map((u: { id: string }) => u.id)).toEqual([c.id])
    const asCustomer = await api('GET', '/api/admin/users', { token: c.token })
    expect(asCustomer.status).toBe(403)
    const anonymous = await api('GET', '/api/admin/users')
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('content-type')).toContain('application/problem+json')
  })

  test('address writes count against the per-user write limit like every signed-in write (429), reads do not', async () => {
    const g = gatewayWith({ userWritesPerMinute: 2 })
    try {
      const c = await s.customer()
      const post = () => call(g.app, 'POST', '/api/users/me/addresses', { token: c.token, body: ADDRESS })
      expect([(await post()).status, (await post()).status]).toEqual([201, 201])
      const limited = await post()
      expect(limited.status).toBe(429)
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
      expect((await call(g.app, 'GET', '/api/users/me/addresses', { token: c.token })).body.items).toHaveLength(2)
    } finally {
      await g.close()
    }
  })
})

describe('product images through the gateway', () => {
  test('an upload larger than a JSON body (here over 1 MiB, the gateway\'s limit) passes; over the upload limit is a 413; the image is served with its cache headers', async () => {
    const noise = await noisyPng(900, 900)
    expect(noise.byteLength).toBeGreaterThan(1_048_576)
    const product = await s.product({ price: 100, stock: 1 })
    const send = (bytes: Uint8Array) => {
      const form = new FormData()
      form.append('file', new File([bytes as BlobPart], 'noise.png', { type: 'image/png' }))
      return fetch(`${gw}/api/products/${product.id}/images`, { method: 'POST', headers: { authorization: `Bearer ${s.adminToken}` }, body: form })
    }
    const res = await send(noise)
    expect(res.status).toBe(201)
    const image = (await res.json()) as { url: string }
    const served = await fetch(`${gw}${image.url}`)
    expect([served.status, served.headers.get('content-type'), served.headers.get('cache-control')]).toEqual([200, 'image/webp', 'public, max-age=31536000, immutable'])
    const tooBig = await send(new Uint8Array(6 * 1024 * 1024))
    expect(tooBig.status).toBe(413)
    expect(((await tooBig.json()) as { code: string }).code).toBe('payload_too_large')
    // Any other route keeps the JSON limit.
    const json = await fetch(`${gw}/api/products`, { method: 'POST', headers: { authorization: `Bearer ${s.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x'.repeat(1_100_000) }) })
    expect(json.status).toBe(413)
  })
})

describe('several instances behind one prefix', () => {
  /** An instance of the catalog that answers with its name, the body it got, and a count. */
  function instance(name: string, answer: (req: Request) => Response | undefined = () => undefined) {
    const seen: { method: string; body: string; key: string | null }[] = []
    const server = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      async fetch(req) {
        const body = await req.text()
        seen.push({ method: req.method, body, key: req.headers.get('idempotency-key') })
        return answer(req) ?? Response.json({ items: [], nextCursor: null, instance: name, body })
      },
    })
    return { url: `http://127.0.0.1:${server.port}`, seen, stop: () => server.stop(true) }
  }

  /** A port that accepts a connection and closes it at once: a request that may have been sent, then broke. */
  function breaking() {
    const listener = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data: (socket) => void socket.end(), open: () => {} } })
    return { url: `http://127.0.0.1:${listener.port}`, stop: () => listener.stop(true) }
  }

  /** A port nothing listens on: connections are refused. */
  function refused() {
    const probe = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() })
    const url = `http://127.0.0.1:${probe.port}`
    probe.stop(true)
    return url
  }

  const withCatalog = (urls: string[]) => gatewayWith({ upstreams: { users: s.urls.users, orders: s.urls.orders, payments: s.urls.payments, catalog: urls, reviews: s.urls.reviews } })
  const get = (g: ReturnType<typeof gatewayWith>, path = '/api/categories') => g.app.handle(new Request(`http://localhost${path}`))
  const post = (g: ReturnType<typeof gatewayWith>, body: string, key?: string) =>
    g.app.handle(
      new Request('http://localhost/api/products', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...(key ? { 'idempotency-key': key } : {}) },
        body,
      }),
    )

  test('requests are spread over the instances in turn', async () => {
    const [a, b] = [instance('a'), instance('b')]
    const g = withCatalog([a.url, b.url])
    try {
      const names = await Promise.all(Array.from({ length: 10 }, async () => ((await (await get(g)).json()) as { instance: string }).instance))
      expect(names.filter((n) => n === 'a')).toHaveLength(5)
      expect(names.filter((n) => n === 'b')).toHaveLength(5)
    } finally {
      a.stop()
      b.stop()
      await g.close()
    }
  })

  test('an instance that refuses connections: every request, a write without a key too, goes to another, and the refusing one is left out', async () => {
    const a = instance('a')
    const registry = new Registry()
    const g = gatewayWith({ registry, upstreams: { users: s.urls.users, orders: s.urls.orders, payments: s.urls.payments, catalog: [refused(), a.url], reviews: s.urls.reviews } })
    try {
      const answers: number[] = []
      for (let i = 0; i < 10; i++) answers.push((await get(g)).status)
      expect(answers).toEqual(Array(10).fill(200))
      // Tried once, then left out: one retry, not five.
      const retries = (await registry.getSingleMetric('shop_gateway_retries_total')!.get()).values
      expect(retries).toEqual([expect.objectContaining({ value: 1, labels: { service: 'catalog', failure: 'refused' } })])
      const write = await post(g, '{"name":"x"}')
      expect(write.status).toBe(200)
      // The body arrived whole at the instance that took it.
      expect(a.seen.at(-1)).toEqual({ method: 'POST', body: '{"name":"x"}', key: null })
      expect(a.seen).toHaveLength(11)
    } finally {
      a.stop()
      await g.close()
    }
  })

  test('a connection that breaks after sending: a read or a keyed write goes to another instance; a write without a key is a 502, never sent twice', async () => {
    const a = instance('a')
    const broken = breaking()
    const g = withCatalog([broken.url, a.url])
    try {
      for (let i = 0; i < 4; i++) expect((await get(g)).status).toBe(200)
      const keyed = await Promise.all([0, 1].map(() => post(g, '{"n":1}', 'key-1')))
      expect(keyed.map((r) => r.status)).toEqual([200, 200])
      const unkeyed = await Promise.all([0, 1].map(() => post(g, '{"n":2}')))
      // One of the two went to the broken instance: it may have acted, so it is not repeated.
      expect(unkeyed.map((r) => r.status).sort()).toEqual([200, 502])
      expect(a.seen.filter((r) => r.body === '{"n":2}')).toHaveLength(1)
    } finally {
      a.stop()
      broken.stop()
      await g.close()
    }
  })

  test('an instance answering 503 (stopping, its database gone): reads go to another; a write without a key gets the 503 as it is', async () => {
    const sick = instance('sick', () => Response.json({ code: 'unavailable', status: 503 }, { status: 503 }))
    const a = instance('a')
    const g = withCatalog([sick.url, a.url])
    try {
      for (let i = 0; i < 4; i++) expect((await get(g)).status).toBe(200)
      const statuses = await Promise.all([0, 1].map(() => post(g, '{}')))
      expect(statuses.map((r) => r.status).sort()).toEqual([200, 503])
    } finally {
      sick.stop()
      a.stop()
      await g.close()
    }
  })

  test('with every instance refusing, a 502 problem, promptly', async () => {
    const g = withCatalog([refused(), refused()])
    try {
      const started = performance.now()
      const res = await get(g)
      expect(res.status).toBe(502)
      expect(((await res.json()) as { code: string }).code).toBe('upstream_unavailable')
      expect(performance.now() - started).toBeLessThan(2000)
    } finally {
      await g.close()
    }
  })
})

describe('limits and failures', () => {
  const login = (base: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ email: 'nobody@shop.test', password: 'whatever123' }),
    })

  test('anonymous writes past the per-address limit are 429 with Retry-After; reads are not limited', async () => {
    // Behind a trusted load balancer (loopback here): the address it forwards is the client's.
    const g = gatewayWith({ anonymousWritesPerMinute: 3, trustedProxies: trustedProxies(['127.0.0.1']) })
    try {
      const base = g.listen()
      const from = { 'x-forwarded-for': '203.0.113.9' }
      const statuses = [(await login(base, from)).status, (await login(base, from)).status, (await login(base, from)).status]
      expect(statuses).toEqual([401, 401, 401])
      const limited = await login(base, from)
      expect(limited.status).toBe(429)
      expect(limited.headers.get('content-type')).toContain('application/problem+json')
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
      expect((await fetch(`${base}/api/categories`, { headers: from })).status).toBe(200)
      expect((await login(base, { 'x-forwarded-for': '203.0.113.10' })).status).toBe(401)
    } finally {
      await g.close()
    }
  })

  test("webhooks have a limit of their own per address, apart from the customers' writes", async () => {
    const g = gatewayWith({ anonymousWritesPerMinute: 1, webhooksPerMinute: 2, trustedProxies: trustedProxies(['127.0.0.1']) })
    try {
      const base = g.listen()
      const hook = (ip: string) =>
        fetch(`${base}/api/payments/webhooks/stripe`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: '{}' })
      // This shop runs demo, so payments answers 404 for Stripe; the first two reach it past a write limit of one.
      expect([(await hook('203.0.113.20')).status, (await hook('203.0.113.20')).status, (await hook('203.0.113.20')).status]).toEqual([404, 404, 429])
      expect((await hook('203.0.113.21')).status).toBe(404)
      // The address's write budget is untouched by its webhooks.
      expect((await login(base, { 'x-forwarded-for': '203.0.113.20' })).status).toBe(401)
    } finally {
      await g.close()
    }
  })

  test('a client that writes its own X-Forwarded-For dodges nothing: counted by its connection, and the header is not passed on', async () => {
    const seen: (string | null)[] = []
    const upstream = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: (req) => (seen.push(req.headers.get('x-forwarded-for')), new Response('{}', { status: 401 })) })
    const g = gatewayWith({
      anonymousWritesPerMinute: 3,
      upstreams: { users: `http://127.0.0.1:${upstream.port}`, orders: s.urls.orders, payments: s.urls.payments, catalog: s.urls.catalog, reviews: s.urls.reviews },
    })
    try {
      const base = g.listen()
      const statuses = []
      for (let i = 0; i < 5; i++) statuses.push((await login(base, { 'x-forwarded-for': `198.51.100.${i}, 10.0.0.${i}` })).status)
      expect(statuses).toEqual([401, 401, 401, 429, 429])
      // The service sees the gateway's decision alone: the connection's address.
      expect(seen).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1'])
      // And every spoofed value did not make a counter of its own in Redis.
      const redis = createRedis(TEST_REDIS_URL)
      try {
        expect((await redis.keys('*gateway:writes:ip:198.51.100.*')).length).toBe(0)
      } finally {
        redis.disconnect()
      }
    } finally {
      upstream.stop(true)
      await g.close()
    }
  })

  test('with the default limits, 200 writes in a minute from one address by 20 signed-in customers are all accepted', async () => {
    const defaults = readGatewayConfig({})
    const g = gatewayWith({ userWritesPerMinute: defaults.WRITE_LIMIT_PER_MINUTE, anonymousWritesPerMinute: defaults.ANONYMOUS_WRITE_LIMIT_PER_MINUTE })
    try {
      const base = g.listen()
      const customers = await Promise.all(Array.from({ length: 20 }, () => s.customer()))
      const statuses = await Promise.all(
        customers.flatMap((c, i) =>
          Array.from({ length: 10 }, (_, n) =>
            fetch(`${base}/api/users/me`, {
              method: 'PATCH',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${c.token}` },
              body: JSON.stringify({ name: `Office worker ${i}-${n}` }),
            }).then((r) => r.status),
          ),
        ),
      )
      expect(statuses.length).toBe(200)
      expect(statuses.filter((status) => status !== 200)).toEqual([])
      // The same customer alone past the per-user limit is refused.
      const one = customers[0]!
      const more = []
      for (let i = 0; i < defaults.WRITE_LIMIT_PER_MINUTE; i++)
        more.push(fetch(`${base}/api/users/me`, { method: 'PATCH', headers: { 'content-type': 'application/json', authorization: `Bearer ${one.token}` }, body: '{"name":"Again"}' }).then((r) => r.status))
      expect((await Promise.all(more)).filter((status) => status === 429).length).toBe(10)
    } finally {
      await g.close()
    }
  }, 60_000)

  test('without an incoming x-request-id, the id the service receives is the one the client gets back', async () => {
    const seen: string[] = []
    const upstream = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch: (req) => (seen.push(req.headers.get('x-request-id') ?? ''), Response.json({ items: [], nextCursor: null })),
    })
    const g = gatewayWith({ upstreams: { users: s.urls.users, orders: s.urls.orders, payments: s.urls.payments, catalog: `http://127.0.0.1:${upstream.port}`, reviews: s.urls.reviews } })
    try {
      const res = await g.app.handle(new Request('http://localhost/api/categories'))
      expect(res.status).toBe(200)
      expect(seen).toHaveLength(1)
      expect(seen[0]).toMatch(/^[0-9a-f-]{36}$/)
      expect(res.headers.get('x-request-id')).toBe(seen[0]!)
    } finally {
      upstream.stop(true)
      await g.close()
    }
  })

  test('a service that does not answer in time is a 504 problem, promptly', async () => {
    const slow = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: async () => (await Bun.sleep(3000), new Response('late')) })
    const g = gatewayWith({ timeoutMs: 300, upstreams: { users: s.urls.users, orders: s.urls.orders, payments: s.urls.payments, catalog: `http://127.0.0.1:${slow.port}`, reviews: s.urls.reviews } })
    try {
      const started = performance.now()
      const res = await call(g.app, 'GET', '/api/products')
      expect(res.status).toBe(504)
      expect(res.body.code).toBe('upstream_timeout')
      expect(performance.now() - started).toBeLessThan(2000)
    } finally {
      slow.stop(true)
      await g.close()
    }
  })

  test('the combined docs list every service, each document pointing at the gateway', async () => {
    const page = await fetch(`${gw}/swagger`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('/swagger/init.js')
    const init = await (await fetch(`${gw}/swagger/init.js`)).text()
    for (const name of ['users', 'catalog', 'payments', 'orders', 'reviews']) expect(init).toContain(`/swagger/services/${name}.json`)
    const asset = await fetch(`${gw}/swagger/assets/swagger-ui-bundle.js`)
    expect(asset.status).toBe(200)
    expect((await asset.text()).length).toBeGreaterThan(100_000)
    const expected: [string, string][] = [['users', '/api/auth/login'], ['catalog', '/api/products'], ['payments', '/api/wallet'], ['orders', '/api/orders'], ['reviews', '/api/reviews/summary']]
    for (const [name, path] of expected) {
      const doc = await api('GET', `/swagger/services/${name}.json`)
      expect(doc.status).toBe(200)
      expect(doc.body.servers).toEqual([{ url: '/', description: 'the gateway' }])
      expect(Object.keys(doc.body.paths)).toContain(path)
    }
  })

  test('the queue dashboard needs an admin: redirect to sign-in, 403 for customers, open for admins', async () => {
    const anonymous = await fetch(`${gw}/admin/queues`, { redirect: 'manual' })
    expect(anonymous.status).toBe(303)
    expect(anonymous.headers.get('location')).toBe('/admin/login')
    const customer = await s.customer()
    const asCustomer = await fetch(`${gw}/admin/queues`, { redirect: 'manual', headers: { authorization: `Bearer ${customer.token}` } })
    expect(asCustomer.status).toBe(303)
    const withBearer = await fetch(`${gw}/admin/queues`, { headers: { authorization: `Bearer ${s.adminToken}` } })
    expect(withBearer.status).toBe(200)
    expect(await withBearer.text()).toContain('<div id="root"')

    const form = new URLSearchParams({ email: 'admin@system.test', password: 'admin password 123' })
    const login = await fetch(`${gw}/admin/login`, { method: 'POST', body: form, redirect: 'manual' })
    expect(login.status).toBe(303)
    const cookie = login.headers.get('set-cookie')!
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Strict')
    const queues = await fetch(`${gw}/admin/queues/api/queues`, { headers: { cookie: cookie.split(';')[0]! } })
    expect(queues.status).toBe(200)
    const names = ((await queues.json()) as { queues: { name: string }[] }).queues.map((q) => q.name).sort()
    expect(names).toEqual(['catalog', 'orders', 'payments', 'reviews'])
    const wrong = await fetch(`${gw}/admin/login`, { method: 'POST', body: new URLSearchParams({ email: 'admin@system.test', password: 'nope nope nope' }), redirect: 'manual' })
    expect(wrong.status).toBe(401)
  })

  test('the web UI is served at / from the web build, never outside it', async () => {
    const g = gatewayWith({ webDir: '/nonexistent' })
    try {
      const placeholder = await g.app.handle(new Request('http://localhost/'))
      expect(await placeholder.text()).toContain('has not been built')
    } finally {
      await g.close()
    }
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>Shop web</title>')
    writeFileSync(join(webDir, 'app.js'), 'console.log(1)')
    expect(await (await fetch(`${gw}/`)).text()).toContain('Shop web')
    const js = await fetch(`${gw}/app.js`)
    expect(await js.text()).toBe('console.log(1)')
    expect(await (await fetch(`${gw}/orders/123`)).text()).toContain('Shop web')
    expect(await (await fetch(`${gw}/..%2f..%2fetc%2fpasswd`)).text()).not.toContain('root:')
  })

  test('the web build is served well: compressed as accepted, hashed assets immutable for a year, index.html no-cache with a 304, a robots.txt', async () => {
    const { mkdirSync } = await import('node:fs')
    const { brotliDecompressSync, gunzipSync } = await import('node:zlib')
    mkdirSync(join(webDir, 'assets'), { recursive: true })
    const script = `export const catalog = ${JSON.stringify(Array.from({ length: 300 }, (_, i) => ({ id: i, name: `Product ${i}` })))}\n`
    writeFileSync(join(webDir, 'assets', 'index-Ab12Cd34.js'), script)
    writeFileSync(join(webDir, 'index.html'), `<!doctype html><title>Shop web</title>${'<!-- padding -->'.repeat(100)}`)
    const get = (path: string, headers: Record<string, string> = {}) => fetch(`${gw}${path}`, { headers, decompress: false } as RequestInit)
    const br = await get('/assets/index-Ab12Cd34.js', { 'accept-encoding': 'gzip, deflate, br' })
    expect([br.status, br.headers.get('content-encoding'), br.headers.get('cache-control'), br.headers.get('content-type')]).toEqual([
      200,
      'br',
      'public, max-age=31536000, immutable',
      'text/javascript; charset=utf-8',
    ])
    const brBytes = new Uint8Array(await br.arrayBuffer())
    expect(brBytes.byteLength).toBeLessThan(script.length / 4)
    expect(brotliDecompressSync(brBytes).toString()).toBe(script)
    const gz = await get('/assets/index-Ab12Cd34.js', { 'accept-encoding': 'gzip' })
    expect(gz.headers.get('content-encoding')).toBe('gzip')
    expect(gunzipSync(new Uint8Array(await gz.arrayBuffer())).toString()).toBe(script)
    const plain = await get('/assets/index-Ab12Cd34.js', { 'accept-encoding': 'identity' })
    expect([plain.headers.get('content-encoding'), await plain.text()]).toEqual([null, script])
    expect((await get('/assets/index-Ab12Cd34.js', { 'accept-encoding': 'br;q=0, gzip' })).headers.get('content-encoding')).toBe('gzip')
    const page = await get('/', { 'accept-encoding': 'br' })
    expect([page.headers.get('cache-control'), page.headers.get('vary')]).toEqual(['no-cache', 'Accept-Encoding'])
    const again = await get('/', { 'if-none-match': page.headers.get('etag')! })
    expect(again.status).toBe(304)
    const robots = await get('/robots.txt')
    expect([robots.status, robots.headers.get('content-type')]).toEqual([200, 'text/plain; charset=utf-8'])
    expect(await robots.text()).toContain('Disallow: /api/')
  })

  test('/ready is 200 with every service up; a stopped service makes it 503 and its routes 502 problems', async () => {
    expect((await fetch(`${gw}/ready`)).status).toBe(200)
    await s.stopServer('payments')
    const ready = await api('GET', '/ready')
    expect(ready.status).toBe(503)
    expect(ready.body.checks.payments).toStartWith('down')
    const started = performance.now()
    const res = await api('GET', '/api/wallet', { token: s.adminToken })
    expect(res.status).toBe(502)
    expect(res.body).toMatchObject({ code: 'upstream_unavailable', status: 502 })
    expect(res.body.detail).toContain('payments')
    expect(performance.now() - started).toBeLessThan(3000)
  })
})
