/**
 * Helpers for integration tests: each test file gets its own Postgres schema and Redis key
 * prefix, so files can run in parallel against the one local server and leave nothing behind.
 */
import { createSql, type Sql } from './data/db.ts'
import { createLogger } from './runtime/logger.ts'

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

/** A logger that keeps its warnings and errors (`message error`) for a test to read. */
export function capturingLog(): { log: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = []
  const keep = (msg: string, fields?: Record<string, unknown>) => void lines.push(`${msg} ${String(fields?.error ?? '')}`)
  const log = { debug() {}, info() {}, warn: keep, error: keep, child: () => log }
  return { log, lines }
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

/** Deletes every Redis key under `prefix` (queues, rate-limit counters) on the server at `url`. */
export async function deleteRedisPrefix(prefix: string, url = TEST_REDIS_URL): Promise<void> {
  const { Redis } = await import('ioredis')
  const redis = new Redis(url, { maxRetriesPerRequest: 1 })
  try {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
      cursor = next
      if (keys.length) await redis.del(...keys)
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes; returns the last value. */
export async function waitFor<T>(check: () => Promise<T> | T, timeoutMs = 10_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let value = await check()
  while (!value && Date.now() < deadline) {
    await Bun.sleep(intervalMs)
    value = await check()
  }
  return value
}

/** A redis-server of the test's own on a free port, to stop and restart at will. */
export class PrivateRedis {
  readonly port = freePort()
  private process: ReturnType<typeof Bun.spawn> | undefined
  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  async start(): Promise<void> {
    this.process = Bun.spawn(
      ['redis-server', '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdout: 'ignore', stderr: 'ignore' },
    )
    const { Redis } = await import('ioredis')
    const ok = await waitFor(async () => {
      const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
      probe.on('error', () => {})
      try {
        await probe.connect()
        return (await probe.ping()) === 'PONG'
      } catch {
        return false
      } finally {
        probe.disconnect()
      }
    }, 10_000, 50)
    if (!ok) throw new Error(`redis-server on port ${this.port} did not start`)
  }

  async stop(): Promise<void> {
    if (!this.process) return
    this.process.kill('SIGKILL')
    await this.process.exited
    this.process = undefined
  }
}

/** An ES256 key of the test's own, to mint access tokens that services verify via `keys`. */
export async function testTokens(issuer = 'shop-users-test', audience = 'shop-test') {
  const { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair } = await import('jose')
  const { createTokenVerifier } = await import('./http/auth.ts')
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'ES256' }] }
  return {
    issuer,
    audience,
    verifier: createTokenVerifier({ keys: createLocalJWKSet(jwks), issuer, audience }),
    /** A valid 15-minute access token for `userId`. */
    sign: (userId: string, role: 'customer' | 'admin' = 'customer') =>
      new SignJWT({ role, sid: crypto.randomUUID() })
        .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
        .setSubject(userId)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime('15m')
        .sign(privateKey),
  }
}
