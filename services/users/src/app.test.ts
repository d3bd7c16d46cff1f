import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createSql } from '@shop/shared/data/db'
import { call } from '@shop/shared/testing'
import { createApp } from './app.ts'
import { createTestUsers } from './testing.ts'

let t: Awaited<ReturnType<typeof createTestUsers>>
beforeAll(async () => {
  t = await createTestUsers()
})
afterAll(() => t.close())

describe('operations routes', () => {
  test('/health answers without I/O', async () => {
    const res = await call(t.app, 'GET', '/health')
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ status: 'ok', service: 'users' })
  })

  test('/ready is 200 when Postgres and Redis answer', async () => {
    const res = await call(t.app, 'GET', '/ready')
    expect(res.status).toBe(200)
    expect(res.body.checks).toEqual({ postgres: 'up', redis: 'up' })
  })

  test('/ready turns 503 when Postgres is gone', async () => {
    // A pool pointed at a port where nothing listens stands for a Postgres that went away.
    const deadSql = createSql({ url: 'postgres://postgres@127.0.0.1:1/postgres', schema: 'users', connectTimeout: 1 })
    const app = createApp({ ...t.deps, sql: deadSql })
    const res = await call(app, 'GET', '/ready')
    expect(res.status).toBe(503)
    expect(res.body.status).toBe('unavailable')
    expect(res.body.checks.postgres).toStartWith('down')
    expect(res.body.checks.redis).toBe('up')
    await deadSql.end({ timeout: 1 })
  })

  test('/ready turns 503 when the pool is closed under it', async () => {
    const sql = createSql({ url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', schema: 'users' })
    const app = createApp({ ...t.deps, sql })
    expect((await call(app, 'GET', '/ready')).status).toBe(200)
    await sql.end({ timeout: 1 })
    expect((await call(app, 'GET', '/ready')).status).toBe(503)
  })

  test('/metrics counts requests by route template and status', async () => {
    await call(t.app, 'GET', `/api/users/${crypto.randomUUID()}`)
    await Bun.sleep(10)
    const res = await t.app.handle(new Request('http://localhost/metrics'))
    const text = await res.text()
    expect(res.headers.get('content-type')).toContain('text/plain')
    expect(text).toMatch(/http_requests_total\{[^}]*route="\/api\/users\/:id"[^}]*status="401"[^}]*\} [1-9]/)
    expect(text).toContain('http_request_duration_seconds_bucket')
    expect(text).toContain('process_resident_memory_bytes')
  })

  test('x-request-id is echoed when given and made when not', async () => {
    const given = await call(t.app, 'GET', '/health', { headers: { 'x-request-id': 'abc-123' } })
    expect(given.headers.get('x-request-id')).toBe('abc-123')
    const made = await call(t.app, 'GET', '/health')
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    const hostile = await call(t.app, 'GET', '/health', { headers: { 'x-request-id': 'bad id\nwith newline'.replace('\n', ' ') } })
    expect(hostile.headers.get('x-request-id')).not.toContain(' ')
  })

  test('an unknown route is a problem+json 404', async () => {
    const res = await call(t.app, 'GET', '/api/nothing-here')
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toContain('application/problem+json')
    expect(res.body.code).toBe('not_found')
  })
})

describe('API documentation', () => {
  test('Swagger UI is at /swagger and the document at /swagger/json', async () => {
    const ui = await t.app.handle(new Request('http://localhost/swagger'))
    expect(ui.status).toBe(200)
    expect(await ui.text()).toContain('swagger-ui')
    const doc = await call(t.app, 'GET', '/swagger/json')
    expect(doc.status).toBe(200)
    expect(doc.body.openapi).toStartWith('3.')
  })

  test('every contract route is documented, and every operation declares its responses', async () => {
    const doc = (await call(t.app, 'GET', '/swagger/json')).body
    for (const [path, method] of [
      ['/api/auth/register', 'post'],
      ['/api/auth/login', 'post'],
      ['/api/auth/refresh', 'post'],
      ['/api/auth/logout', 'post'],
      ['/api/users/me', 'get'],
      ['/api/users/me', 'patch'],
      ['/.well-known/jwks.json', 'get'],
    ] as const)
      expect(doc.paths[path]?.[method]).toBeDefined()
    for (const [path, operations] of Object.entries(doc.paths as Record<string, Record<string, { responses?: object }>>)) {
      for (const [method, operation] of Object.entries(operations)) {
        if (path.startsWith('/swagger')) continue
        expect({ route: `${method} ${path}`, responses: Object.keys(operation.responses ?? {}).length > 0 }).toEqual({
          route: `${method} ${path}`,
          responses: true,
        })
      }
    }
  })
})
