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

const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', ' ', '0', '-1', '1e309', 'NaN', 'null', '{}', '[]', "' or 1=1 --", '../../etc/passwd', '%00', '\u0000', '😀'.repeat(50), 'a'.repeat(5000), '00000000-0000-0000-0000-000000000000'),
  fc.uuid(),
)
const hostileNumber = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 1, 2 ** 53, -(2 ** 53), 1e308, 0.1))

/** A value shaped by the schema, with hostile leaves; sometimes something else entirely. */
function valueFor(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 4) return fc.jsonValue({ maxDepth: 2 })
  if (schema.anyOf?.length) return fc.oneof(...schema.anyOf.map((s) => valueFor(s, depth + 1)))
  if (schema.const !== undefined || schema.enum) return fc.oneof(fc.constantFrom(...(schema.enum ?? [schema.const])), hostileString)
  switch (schema.type) {
    case 'object': {
      const props = Object.entries(schema.properties ?? {})
      return fc.oneof(
        { weight: 4, arbitrary: fc.record(Object.fromEntries(props.map(([k, v]) => [k, valueFor(v, depth + 1)])), { requiredKeys: [] }) },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
      )
    }
    case 'array':
      return fc.oneof(fc.array(valueFor(schema.items, depth + 1), { maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }))
    case 'integer':
    case 'number':
      return fc.oneof(hostileNumber, hostileString)
    case 'boolean':
      return fc.oneof(fc.boolean(), hostileString)
    default:
      return fc.oneof(hostileString, hostileNumber, fc.constant(null))
  }
}

async function operations(baseUrl: string): Promise<Operation[]> {
  const doc = (await (await fetch(`${baseUrl}/swagger/json`)).json()) as {
    paths: Record<string, Record<string, { parameters?: Operation['parameters']; requestBody?: { content?: Record<string, { schema?: Schema }> } }>>
  }
  const ops: Operation[] = []
  for (const [path, methods] of Object.entries(doc.paths)) {
    if (path.startsWith('/swagger') || path === '/api/orders/events') continue
    for (const [method, op] of Object.entries(methods))
      ops.push({ method: method.toUpperCase(), path, parameters: op.parameters, body: op.requestBody?.content?.['application/json']?.schema })
  }
  return ops
}

const SERVICES = ['users', 'catalog', 'payments', 'orders'] as const

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
          params: fc.record(Object.fromEntries(pathParams.map((name) => [name, hostileString]))),
          query: fc.record(Object.fromEntries(query.map((q) => [q.name, fc.option(valueFor(q.schema).map(String), { nil: undefined })])), { requiredKeys: [] }),
          auth: fc.constantFrom<'none' | 'garbage' | 'customer' | 'admin'>('none', 'garbage', 'customer', 'admin'),
          key: fc.option(hostileString, { nil: undefined }),
          body: op.method === 'GET' ? fc.constant(undefined) : valueFor(op.body),
          raw: fc.option(fc.constantFrom('{', 'not json', '[1,2', '"\\u0000"', '{"a":' + '['.repeat(200)), { nil: undefined, freq: 8 }),
        })
        await fc.assert(
          fc.asyncProperty(request, async (r) => {
            let path = op.path
            for (const [name, value] of Object.entries(r.params)) path = path.replace(`{${name}}`, encodeURIComponent(value as string))
            const search = new URLSearchParams(Object.entries(r.query).filter(([, v]) => v !== undefined) as [string, string][])
            const headers: Record<string, string> = { 'content-type': 'application/json' }
            if (r.auth === 'garbage') headers.authorization = 'Bearer eyJhbGciOiJub25lIn0.e30.'
            if (r.auth === 'customer') headers.authorization = `Bearer ${tokens.customer}`
            if (r.auth === 'admin') headers.authorization = `Bearer ${tokens.admin}`
            if (r.key !== undefined) headers['idempotency-key'] = encodeURIComponent(r.key).slice(0, 300) || 'x'
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
