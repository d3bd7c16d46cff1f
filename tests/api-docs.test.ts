/**
 * The API documents, as a client generator or a reader gets them: every service's document and
 * the gateway's combined one pass `redocly lint` (recommended rules) without an error, say what
 * the routes really answer (problems as application/problem+json, integers as integers, the
 * event stream as text/event-stream), keep internal routes out, and their Swagger UI pages load
 * nothing from another site.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSystem, type System } from './system.ts'

const ROOT = join(import.meta.dir, '..')
let s: System
const dir = mkdtempSync(join(tmpdir(), 'shop-docs-'))
beforeAll(async () => {
  s = await startSystem({ gateway: {} })
}, 60_000)
afterAll(async () => {
  await s.stop()
  rmSync(dir, { recursive: true, force: true })
}, 60_000)

const SERVICES = ['users', 'catalog', 'payments', 'orders', 'reviews'] as const
type Doc = { openapi: string; paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: any }> }> }>>; components: { schemas: Record<string, any> } }

async function documentOf(base: string): Promise<{ doc: Doc; type: string | null }> {
  const res = await fetch(`${base}/swagger/json`)
  expect(res.status).toBe(200)
  return { doc: (await res.json()) as Doc, type: res.headers.get('content-type') }
}

/** `redocly lint` of a document with the recommended rules: its error and warning counts. */
async function lint(name: string, doc: Doc): Promise<{ errors: number; warnings: number; problems: string[] }> {
  const file = join(dir, `${name}.json`)
  writeFileSync(file, JSON.stringify(doc))
  const run = Bun.spawn([join(ROOT, 'node_modules/.bin/redocly'), 'lint', '--format=json', file], { cwd: dir, stdout: 'pipe', stderr: 'pipe', env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } })
  const out = await new Response(run.stdout as ReadableStream).text()
  await run.exited
  const report = JSON.parse(out.slice(out.indexOf('{'))) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string; severity: string }[] }
  return {
    ...report.totals,
    problems: report.problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId}: ${p.message}`),
  }
}

describe('API documents', () => {
  for (const name of [...SERVICES, 'gateway'] as const) {
    test(`${name}: OpenAPI 3.1 JSON that redocly's recommended rules find no error in`, async () => {
      const { doc, type } = await documentOf(s.urls[name])
      expect(type).toContain('application/json')
      expect(doc.openapi).toStartWith('3.1')
      const result = await lint(name, doc)
      expect(result.problems).toEqual([])
      expect(result.errors).toBe(0)
    }, 60_000)
  }

  test('every request body is documented as JSON with its schema (order, deposit, register, product)', async () => {
    const bodyOf = async (name: (typeof SERVICES)[number], path: string, method: string) => {
      const { doc } = await documentOf(s.urls[name])
      return (doc.paths[path]?.[method] as { requestBody?: { content: Record<string, { schema?: any }> } } | undefined)?.requestBody
    }
    const cases = [
      ['orders', '/api/orders', 'post', 'items'],
      ['payments', '/api/wallet/deposits', 'post', 'amount'],
      ['users', '/api/auth/register', 'post', 'email'],
      ['catalog', '/api/products', 'post', 'price'],
      ['reviews', '/api/reviews', 'post', 'rating'],
    ] as const
    for (const [name, path, method, field] of cases) {
      const body = await bodyOf(name, path, method)
      expect({ path, types: Object.keys(body?.content ?? {}) }).toEqual({ path, types: ['application/json'] })
      expect({ path, has: Object.keys(body!.content['application/json']!.schema.properties ?? {}).includes(field) }).toEqual({ path, has: true })
    }
    // And no operation anywhere announces a body without saying what it is.
    for (const name of SERVICES) {
      const { doc } = await documentOf(s.urls[name])
      for (const [path, item] of Object.entries(doc.paths))
        for (const [method, op] of Object.entries(item)) {
          const content = (op as { requestBody?: { content: Record<string, unknown> } }).requestBody?.content
          if (content) expect({ at: `${method} ${path}`, empty: Object.keys(content).length === 0 }).toEqual({ at: `${method} ${path}`, empty: false })
        }
    }
  })

  test('internal routes are in no public document, nor in the combined one', async () => {
    for (const name of [...SERVICES, 'gateway'] as const) {
      const { doc } = await documentOf(s.urls[name])
      expect(Object.keys(doc.paths).filter((p) => p.startsWith('/internal'))).toEqual([])
    }
    // The service's own port still describes them, for the services that call them.
    const internal = (await (await fetch(`${s.urls.catalog}/swagger/json?include=internal`)).json()) as Doc
    expect(Object.keys(internal.paths)).toContain('/internal/reservations/{orderId}/commit')
  })

  test('every error answer is application/problem+json with the shared Problem schema (but /ready\'s 503); there is a default', async () => {
    const { doc } = await documentOf(s.urls.gateway)
    const wrong: string[] = []
    for (const [path, item] of Object.entries(doc.paths))
      for (const [method, operation] of Object.entries(item)) {
        if (!operation.responses.default) wrong.push(`${method} ${path}: no default`)
        for (const [status, response] of Object.entries(operation.responses)) {
          if (status !== 'default' && Number(status) < 400) continue
          // The readiness check answers its own JSON when a dependency is down.
          if (path === '/ready' && status === '503') continue
          const content = response.content ?? {}
          if (Object.keys(content).join() !== 'application/problem+json' || content['application/problem+json']?.schema?.$ref !== '#/components/schemas/Problem')
            wrong.push(`${method} ${path} ${status}: ${JSON.stringify(content)}`)
        }
      }
    expect(wrong).toEqual([])
    expect(doc.components.schemas.Problem.required).toEqual(['type', 'title', 'status', 'detail', 'code'])
  })

  test('money and counts are integers, never "an integer or a string"; the event stream is text/event-stream', async () => {
    const { doc } = await documentOf(s.urls.gateway)
    const schemaOf = (path: string, method: string, status = '200') => doc.paths[path]![method]!.responses[status]!.content!['application/json']!.schema
    expect(schemaOf('/api/products/{id}', 'get').properties.price).toEqual({ type: 'integer' })
    expect(schemaOf('/api/wallet', 'get').properties.balance.type).toBe('integer')
    expect(schemaOf('/api/orders/{id}', 'get').properties.total.type).toBe('integer')
    expect(JSON.stringify(doc)).not.toContain('"format":"integer"')
    const stream = doc.paths['/api/orders/events']!.get!.responses['200']!.content!
    expect(Object.keys(stream)).toEqual(['text/event-stream'])
  })

  test('Swagger UI on every service and the gateway loads its script and styles from itself, never a CDN', async () => {
    for (const name of [...SERVICES, 'gateway'] as const) {
      const page = await (await fetch(`${s.urls[name]}/swagger`)).text()
      const init = await (await fetch(`${s.urls[name]}/swagger/init.js`)).text()
      expect(page).toContain('/swagger/assets/swagger-ui-bundle.js')
      expect(`${page}${init}`).not.toMatch(/https?:\/\//)
      const bundle = await fetch(`${s.urls[name]}/swagger/assets/swagger-ui-bundle.js`)
      expect(bundle.status).toBe(200)
      expect((await bundle.arrayBuffer()).byteLength).toBeGreaterThan(100_000)
    }
  })
})
