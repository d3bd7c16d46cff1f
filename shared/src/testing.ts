/**
 * Helpers for integration tests: each test file gets its own Postgres schema and Redis key
 * prefix, so files can run in parallel against the one local server and leave nothing behind.
 */
import { createSql, type Sql } from './db.ts'
import { createLogger } from './logger.ts'

export const TEST_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** A name unique to this run, safe as a schema name or key prefix. */
export function uniqueName(label: string): string {
  return `t_${label}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
}

export interface TestSchema {
  schema: string
  sql: Sql
  /** Drops the schema and closes the pool. */
  drop(): Promise<void>
}

export function testSchema(label: string): TestSchema {
  const schema = uniqueName(label)
  const sql = createSql({ url: TEST_DATABASE_URL, schema, max: 5 })
  return {
    schema,
    sql,
    async drop() {
      await sql`drop schema if exists ${sql(schema)} cascade`
      await sql.end({ timeout: 5 })
    },
  }
}

/** A logger that prints nothing unless TEST_LOG is set. */
export const testLog = createLogger('test', (process.env.TEST_LOG as 'debug' | undefined) ?? 'silent')

/** A free TCP port on 127.0.0.1 (never the system's 8080-8084). */
export function freePort(): number {
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() })
  const port = server.port!
  server.stop(true)
  return port
}

/** Sends a JSON request to an app's `handle`. */
export async function call(
  app: { handle(request: Request): Promise<Response> | Response },
  method: string,
  path: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  if (options.token) headers.authorization = `Bearer ${options.token}`
  const response = await app.handle(
    new Request(`http://localhost${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    }),
  )
  const text = await response.text()
  let body: unknown = text
  try {
    body = text ? JSON.parse(text) : undefined
  } catch {}
  return { status: response.status, body, headers: response.headers }
}
