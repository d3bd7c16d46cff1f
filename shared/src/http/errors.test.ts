import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Elysia, t } from 'elysia'
import { errorPlugin, NotFoundError } from './errors.ts'
import postgres from 'postgres'
import { TEST_DATABASE_URL, call, testLog, testSchema } from '../testing.ts'

const db = testSchema('errors')
let app: ReturnType<typeof build>

function build() {
  return new Elysia()
    .use(errorPlugin(testLog))
    .post('/things', async ({ body }) => {
      await db.sql`insert into things (name) values (${body.name})`
      return { ok: true }
    }, {
      body: t.Object({ name: t.String({ minLength: 2 }), size: t.Optional(t.Integer({ minimum: 1 })) }),
    })
    .post('/children', async ({ body }) => {
      await db.sql`insert into children (thing) values (${body.thing})`
      return { ok: true }
    }, {
      body: t.Object({ thing: t.Integer() }),
    })
    .get('/missing', () => {
      throw new NotFoundError('No such thing')
    })
    .get('/sql-error', async () => {
      await db.sql`select * from no_such_table`
      return 'unreachable'
    })
    .get('/connection-cut', async () => {
      // What an aborted backend answers (pg_terminate_backend: 57P01), on a client of its own.
      const own = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} })
      try {
        const [row] = await own<{ pid: number }[]>`select pg_backend_pid() as pid`
        await db.sql`select pg_terminate_backend(${row!.pid})`
        await own`select pg_sleep(0.05)`
        await own`select 1`
      } finally {
        await own.end({ timeout: 1 })
      }
      return 'unreachable'
    })
    .get('/crash', () => {
      throw new Error('secret internal detail at /srv/app.ts')
    })
}

beforeAll(async () => {
  await db.sql`create schema ${db.sql(db.schema)}`
  await db.sql`create table things (id serial primary key, name text unique)`
  await db.sql`create table children (id serial primary key, thing integer references things (id))`
  app = build()
})
afterAll(() => db.drop())

describe('errorPlugin', () => {
  test('validation errors are 422 problems naming each field', async () => {
    const res = await call(app, 'POST', '/things', { body: { name: 'x', size: 0 } })
    expect(res.status).toBe(422)
    expect(res.headers.get('content-type')).toContain('application/problem+json')
    expect(res.body).toMatchObject({ status: 422, code: 'validation_failed', title: 'Unprocessable Content' })
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['name', 'size'])
    expect(res.body.type).toStartWith('https://')
  })

  test('a unique violation is a 409 and a foreign-key violation a 409, without SQL', async () => {
    await call(app, 'POST', '/things', { body: { name: 'dup' } })
    const dup = await call(app, 'POST', '/things', { body: { name: 'dup' } })
    expect(dup.status).toBe(409)
    expect(dup.body.code).toBe('conflict')
    const fk = await call(app, 'POST', '/children', { body: { thing: 999 } })
    expect(fk.status).toBe(409)
    for (const res of [dup, fk]) {
      const text = JSON.stringify(res.body)
      expect(text).not.toMatch(/things|children|constraint|violates|insert/i)
    }
  })

  test('AppErrors keep their status and code', async () => {
    const res = await call(app, 'GET', '/missing')
    expect(res.status).toBe(404)
    expect(res.body).toMatchObject({ code: 'not_found', detail: 'No such thing' })
  })

  test('unknown errors and SQL errors are a bare 500: no message, stack or SQL', async () => {
    for (const path of ['/crash', '/sql-error']) {
      const res = await call(app, 'GET', path)
      expect(res.status).toBe(500)
      expect(res.body.code).toBe('internal_error')
      const text = JSON.stringify(res.body)
      expect(text).not.toMatch(/secret|srv|no_such_table|relation|stack|at /i)
    }
  })

  test('a database connection cut under the request is a 503 to retry, not a 500', async () => {
    const res = await call(app, 'GET', '/connection-cut')
    expect(res.status).toBe(503)
    expect(res.body.code).toBe('unavailable')
    expect(res.headers.get('retry-after')).toBe('1')
    expect(JSON.stringify(res.body)).not.toMatch(/terminat|administrator|pid/i)
  })
})
