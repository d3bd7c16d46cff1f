/**
 * Property-based fuzzing of every route of every service, generated from the services' own
 * OpenAPI documents: random path parameters, query strings, headers (no token, a garbage token,
 * a valid customer or admin token; random Idempotency-Keys) and bodies (shaped like the schema
 * with hostile values, or arbitrary JSON). Whatever comes in: never a 5xx, and every error is
 * application/problem+json.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { startSystem, type System } from './system.ts'

let s: System
let tokens: { customer: string; admin: string }
beforeAll(async () => {
  s = await startSystem()
  const c = await s.customer(100_000)
  tokens = { customer: c.token, admin: s.adminToken }
}, 60_000)
afterAll(() => s.stop(), 60_000)

type Schema = { type?: string; properties?: Record<string, Schema>; items?: Schema; anyOf?: Schema[]; enum?: unknown[]; const?: unknown }
interface Operation {
  method: string
  path: string
  parameters?: { name: string; in: string; schema?: Schema }[]
  body?: Schema
}

/**
 * Strings Postgres, JSON, Unicode and the body limit each choke on, alone or inside a plausible
 * value. The 100 kB ones go in bodies only: a URL that long is refused by Bun itself (431, its
 * 16 KiB header limit) before any code of ours runs, as any server in front would.
 */
const HUGE = ['a'.repeat(100_000), '😀'.repeat(50_000)]
const NASTY = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\u202eevil\u202c',
  '\u200f\u200e',
  '\ufeff',
  'e\u0301',
  '%',
  '%E0%A4%A',
]
const urlString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', ' ', '   ', '0', '-1', '1e309', 'NaN', 'null', '{}', '[]', "' or 1=1 --", '../../etc/passwd', '%00', '😀'.repeat(50), 'a'.repeat(5000), '00000000-0000-0000-0000-000000000000'),
  fc.constantFrom(...NASTY),
  fc.tuple(fc.constantFrom('name', 'x@shop.test', 'EUR', 'Kettle'), fc.constantFrom(...NASTY)).map(([a, b]) => `${a}${b}`),
  fc.uuid(),
)
const hostileString = fc.oneof(urlString, fc.constantFrom(...HUGE))
const hostileNumber = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 1, 2 ** 53, -(2 ** 53), 1e308, 0.1))

/** A value shaped by the schema, with hostile leaves; sometimes something else entirely. */
function valueFor(schema: Schema | undefined, depth = 0, strings: fc.Arbitrary<string> = hostileString): fc.Arbitrary<unknown> {
  if (!schema || depth > 4) return fc.jsonValue({ maxDepth: 2 })
  if (schema.anyOf?.length) return fc.oneof(...schema.anyOf.map((s) => valueFor(s, depth + 1, strings)))
  if (schema.const !== undefined || schema.enum) return fc.oneof(fc.constantFrom(...(schema.enum ?? [schema.const])), strings)
  switch (schema.type) {
    case 'object': {
      const props = Object.entries(schema.properties ?? {})
      return fc.oneof(
        { weight: 4, arbitrary: fc.record(Object.fromEntries(props.map(([k, v]) => [k, valueFor(v, depth + 1, strings)])), { requiredKeys: [] }) },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
      )
    }
    case 'array':
      return fc.oneof(fc.array(valueFor(schema.items, depth + 1, strings), { maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }))
    case 'integer':
    case 'number':
      return fc.oneof(hostileNumber, strings)
    case 'boolean':
      return fc.oneof(fc.boolean(), strings)
    default:
      return fc.oneof(strings, hostileNumber, fc.constant(null))
  }
}

async function operations(baseUrl: string): Promise<Operation[]> {
  const doc = (await (await fetch(`${baseUrl}/swagger/json?include=internal`)).json()) as {
    paths: Record<
      string,
      Record<string, { parameters?: Operation['parameters']; requestBody?: { content?: Record<string, { schema?: Schema }> }; responses?: Record<string, { content?: Record<string, unknown> }> }>
    >
  }
  const ops: Operation[] = []
  for (const [path, methods] of Object.entries(doc.paths)) {
    if (path.startsWith('/swagger')) continue
    for (const [method, op] of Object.entries(methods)) {
      // An event stream never ends: the document says which routes answer one.
      if (op.responses?.['200']?.content?.['text/event-stream']) continue
      ops.push({ method: method.toUpperCase(), path, parameters: op.parameters, body: op.requestBody?.content?.['application/json']?.schema })
    }
  }
  return ops
}

const SERVICES = ['users', 'catalog', 'payments', 'orders', 'reviews'] as const

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

/** Percent-encodes like encodeURIComponent, except that a lone surrogate becomes its WTF-8 bytes (invalid UTF-8: hostile on purpose) instead of throwing. */
function encodeHostile(value: string): string {
  return value
    .split(LONE_SURROGATE)
    .map(encodeURIComponent)
    .reduce((out, part, i) => {
      if (i === 0) return part
      const unit = value.match(LONE_SURROGATE)![i - 1]!.charCodeAt(0)
      const bytes = [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
      return out + bytes.map((b) => `%${b.toString(16).toUpperCase()}`).join('') + part
    }, '')
}

/** Sends `requestLine` and headers as raw bytes (fetch would repair a bad path) and reads the status line and headers. */
async function raw(port: number, requestLine: string, headers: string[] = [], body = ''): Promise<{ status: number; headers: string }> {
  const { connect } = await import('node:net')
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write([requestLine, 'Host: localhost', 'Connection: close', ...headers, '', body].join('\r\n')))
    let out = ''
    socket.on('data', (d) => (out += d.toString('latin1')))
    socket.on('end', () => {
      const [head = ''] = out.split('\r\n\r\n')
      resolve({ status: Number(head.split(' ')[1]), headers: head.toLowerCase() })
    })
    socket.on('error', reject)
    setTimeout(() => socket.destroy(new Error(`no answer to ${requestLine}`)), 10_000)
  })
}

describe('hostile requests no generator needs to find', () => {
  const malformed = ['/%', '/%E0%A4%A', '/api/orders/%', '/api/products/%zz', '/api/products/%E0%A4%A', '/api/users/%C0', '/swagger/%']

  test('malformed percent-encoding in a path is a 400 problem on every service and the gateway', async () => {
    const g = await startSystemGateway()
    const failures: string[] = []
    for (const [name, base] of [...SERVICES.map((n) => [n, s.urls[n]] as const), ['gateway', g] as const]) {
      const port = Number(new URL(base).port)
      for (const path of malformed) {
        const res = await raw(port, `GET ${path} HTTP/1.1`)
        if (res.status !== 400 || !res.headers.includes('application/problem+json')) failures.push(`${name} GET ${path} → ${res.status}`)
      }
    }
    expect(failures).toEqual([])
  })

  test('a body over the limit is a 413 problem, declared or sent in chunks, never Bun\'s bare answer', async () => {
    const failures: string[] = []
    const writes = { users: '/api/auth/login', catalog: '/api/products', payments: '/api/wallet', orders: '/api/orders', reviews: '/api/reviews' }
    for (const name of SERVICES) {
      const port = Number(new URL(s.urls[name]).port)
      const route = writes[name]
      const declared = await raw(port, `POST ${route} HTTP/1.1`, ['Content-Type: application/json', 'Content-Length: 200000000'])
      if (declared.status !== 413 || !declared.headers.includes('application/problem+json')) failures.push(`${name} declared → ${declared.status}`)
      const chunk = 'x'.repeat(60_000)
      const chunks = Array.from({ length: 20 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join('') + '0\r\n\r\n'
      const chunked = await raw(port, `POST ${route} HTTP/1.1`, ['Content-Type: application/json', 'Transfer-Encoding: chunked', `Authorization: Bearer ${tokens.admin}`], chunks)
      if (chunked.status !== 413 || !chunked.headers.includes('application/problem+json')) failures.push(`${name} chunked → ${chunked.status}`)
    }
    expect(failures).toEqual([])
  })

  test('a JSON body nested 100,000 levels deep is a 400 on every service, before anything walks it', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000)
    const writes = { users: '/api/auth/register', catalog: '/api/products', payments: '/api/wallet', orders: '/api/orders', reviews: '/api/reviews' }
    for (const name of SERVICES) {
      const res = await fetch(`${s.urls[name]}${writes[name]}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.admin}`, 'idempotency-key': crypto.randomUUID() }, body: deep })
      expect({ name, status: res.status, type: res.headers.get('content-type') }).toEqual({ name, status: 400, type: 'application/problem+json' })
    }
  })

  test('a crafted cursor of the right sort but the wrong shape is a 422 naming cursor, never reaching SQL', async () => {
    const crafted = [
      ['newest', { s: 'newest', k: [] }],
      ['newest', { s: 'newest', k: ['\u0000'] }],
      ['newest', { s: 'newest', k: [true] }],
      ['price', { s: 'price', k: [1] }],
      ['price', { s: 'price', k: [1.5, crypto.randomUUID()] }],
      ['name', { s: 'name', k: ['a\u0000', crypto.randomUUID()] }],
      ['relevance', { s: 'relevance', k: [] }],
    ] as const
    for (const [sort, key] of crafted) {
      const cursor = Buffer.from(JSON.stringify(key)).toString('base64url')
      const res = await s.request(s.urls.catalog, 'GET', `/api/products?sort=${sort}&q=lamp&cursor=${cursor}`)
      expect({ key, status: res.status, field: res.body?.errors?.[0]?.field }).toEqual({ key, status: 422, field: 'cursor' })
    }
  })

  test('a NUL character in a body, a query or a path is a 422 naming where it was', async () => {
    const cases: [string, string, string, unknown, string][] = [
      ['users', 'POST', '/api/auth/register', { email: 'n@shop.test', password: 'correct horse battery', name: 'A\u0000B' }, 'name'],
      ['users', 'POST', '/api/auth/login', { email: 'n\u0000@shop.test', password: 'whatever123' }, 'email'],
      ['users', 'PATCH', '/api/users/me', { name: '\u0000' }, 'name'],
      ['catalog', 'POST', '/api/products', { name: 'Kettle\u0000', category: 'Kitchen', price: 100, currency: 'EUR', stock: 1 }, 'name'],
      ['catalog', 'GET', '/api/products?category=%00', undefined, 'category'],
      ['catalog', 'GET', '/api/products?q=tea%00', undefined, 'q'],
      ['orders', 'GET', '/api/orders?cursor=%00', undefined, 'cursor'],
      ['payments', 'GET', '/api/wallet/transactions?cursor=%00', undefined, 'cursor'],
      ['payments', 'POST', '/api/wallet', { currency: 'EU\u0000' }, 'currency'],
    ]
    for (const [service, method, path, body, field] of cases) {
      const res = await s.request(s.urls[service as (typeof SERVICES)[number]], method, path, { token: service === 'catalog' && method === 'POST' ? tokens.admin : tokens.customer, body })
      expect({ path, status: res.status, fields: res.body?.errors?.map((e: { field: string }) => e.field) }).toEqual({ path, status: 422, fields: [field] })
    }
  })
})

/** The gateway in front of the fuzzed services, started once for the tests that need it. */
let gatewayUrl: string | undefined
async function startSystemGateway(): Promise<string> {
  if (gatewayUrl) return gatewayUrl
  const { createApp } = await import('../services/gateway/src/app.ts')
  const { createTokenVerifier, remoteKeySet } = await import('@shop/shared/http/auth')
  const { TRUST_NO_ONE } = await import('@shop/shared/http/client-address')
  const { createRedis } = await import('@shop/shared/data/redis')
  const { workerConnection } = await import('@shop/shared/messaging/queue')
  const { TEST_REDIS_URL, testLog } = await import('@shop/shared/testing')
  const { TEST_AUDIENCE, TEST_ISSUER } = await import('../services/users/src/testing.ts')
  const redis = createRedis(TEST_REDIS_URL)
  const queueConnection = workerConnection(TEST_REDIS_URL)
  const app = createApp({
    redis,
    queueConnection,
    log: testLog,
    verifier: createTokenVerifier({ keys: remoteKeySet(`${s.urls.users}/.well-known/jwks.json`), issuer: TEST_ISSUER, audience: TEST_AUDIENCE }),
    upstreams: { users: s.urls.users, orders: s.urls.orders, payments: s.urls.payments, catalog: s.urls.catalog, reviews: s.urls.reviews },
    prefix: s.prefix,
    origins: [],
    maxBodyBytes: 65_536,
    timeoutMs: 10_000,
    userWritesPerMinute: 100_000,
    anonymousWritesPerMinute: 100_000,
    trustedProxies: TRUST_NO_ONE,
    webDir: '/nonexistent',
  })
  const server = app.listen({ port: 0, hostname: '127.0.0.1', maxRequestBodySize: Number.MAX_SAFE_INTEGER }).server!
  afterAll(() => {
    server.stop(true)
    redis.disconnect()
    queueConnection.disconnect()
  })
  gatewayUrl = `http://127.0.0.1:${server.port}`
  return gatewayUrl
}

describe('fuzzing every route from its OpenAPI document', () => {
  for (const service of SERVICES) {
    test(`${service}: no 5xx, every error a problem`, async () => {
      const base = s.urls[service]
      const ops = await operations(base)
      expect(ops.length).toBeGreaterThan(3)
      const failures: string[] = []
      const statuses = new Map<number, number>()
      for (const op of ops) {
        const pathParams = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!)
        const query = (op.parameters ?? []).filter((p) => p.in === 'query')
        const request = fc.record({
          params: fc.record(Object.fromEntries(pathParams.map((name) => [name, urlString]))),
          query: fc.record(Object.fromEntries(query.map((q) => [q.name, fc.option(valueFor(q.schema, 0, urlString).map(String), { nil: undefined })])), { requiredKeys: [] }),
          auth: fc.constantFrom<'none' | 'garbage' | 'customer' | 'admin'>('none', 'garbage', 'customer', 'admin'),
          key: fc.option(urlString, { nil: undefined }),
          body: op.method === 'GET' ? fc.constant(undefined) : valueFor(op.body),
          raw: fc.option(fc.constantFrom('{', 'not json', '[1,2', '"\\u0000"', '{"a":' + '['.repeat(200)), { nil: undefined, freq: 8 }),
        })
        await fc.assert(
          fc.asyncProperty(request, async (r) => {
            let path = op.path
            for (const [name, value] of Object.entries(r.params)) path = path.replace(`{${name}}`, encodeHostile(value as string))
            const search = new URLSearchParams(Object.entries(r.query).filter(([, v]) => v !== undefined) as [string, string][])
            const headers: Record<string, string> = { 'content-type': 'application/json' }
            if (r.auth === 'garbage') headers.authorization = 'Bearer eyJhbGciOiJub25lIn0.e30.'
            if (r.auth === 'customer') headers.authorization = `Bearer ${tokens.customer}`
            if (r.auth === 'admin') headers.authorization = `Bearer ${tokens.admin}`
            if (r.key !== undefined) headers['idempotency-key'] = encodeHostile(r.key).slice(0, 300) || 'x'
            const body = op.method === 'GET' || op.method === 'HEAD' ? undefined : (r.raw ?? JSON.stringify(r.body ?? null))
            const res = await fetch(`${base}${path}${search.size ? `?${search}` : ''}`, { method: op.method, headers, body })
            const type = res.headers.get('content-type') ?? ''
            await res.arrayBuffer()
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
            if (res.status >= 500 || (res.status >= 400 && !type.includes('application/problem+json'))) {
              failures.push(`${op.method} ${path}?${search} auth=${r.auth} body=${String(body).slice(0, 120)} → ${res.status} ${type}`)
              return false
            }
            return true
          }),
          { numRuns: 40, endOnFailure: true },
        ).catch(() => {})
      }
      expect(failures).toEqual([])
      // The generator reaches both sides: requests that pass validation and requests that do not.
      const total = [...statuses.values()].reduce((a, b) => a + b, 0)
      expect(total).toBeGreaterThanOrEqual(ops.length * 40)
      expect([...statuses.keys()].some((code) => code < 300)).toBe(true)
      expect([...statuses.keys()].some((code) => code === 422 || code === 400)).toBe(true)
      console.log(`${service}: ${total} requests over ${ops.length} routes; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`)
    }, 120_000)
  }
})
