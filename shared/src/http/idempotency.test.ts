import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Elysia, t } from 'elysia'
import { exportJWK, generateKeyPair, SignJWT, createLocalJWKSet } from 'jose'
import { authPlugin, createTokenVerifier } from './auth.ts'
import { errorPlugin, ConflictError, UnprocessableError } from './errors.ts'
import { IdempotencyStore, idempotencyPlugin } from './idempotency.ts'
import { kernelMigrations, migrate } from '../data/migrate.ts'
import { call, testLog, testSchema } from '../testing.ts'

const db = testSchema('idem')
const ISS = 'test-iss'
const AUD = 'test-aud'
let tokenA: string
let tokenB: string
let effects = 0
let release: (() => void) | undefined
let app: ReturnType<typeof build>

function build(store: IdempotencyStore, verifier: ReturnType<typeof createTokenVerifier>) {
  return new Elysia()
    .use(errorPlugin(testLog))
    .use(authPlugin(verifier))
    .use(idempotencyPlugin(store))
    .post(
      '/things',
      async ({ body, status }) => {
        effects++
        if (body.wait) await new Promise<void>((resolve) => (release = resolve))
        if (body.amount < 0) throw new UnprocessableError('negative', 'Amount is negative')
        if (body.amount === 13) throw new Error('crash')
        return status(201, { n: effects, amount: body.amount })
      },
      {
        auth: true,
        idempotent: true,
        body: t.Object({ amount: t.Integer(), wait: t.Optional(t.Boolean()) }),
        response: { 201: t.Object({ n: t.Integer(), amount: t.Integer() }) },
      },
    )
    .post('/things/:id/move', ({ params }) => ({ moved: params.id, n: ++effects }), {
      auth: true,
      idempotent: true,
    })
}

beforeAll(async () => {
  await migrate(db.sql, db.schema, [{ source: 'idempotency', dir: kernelMigrations.idempotency }])
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }
  const sign = (sub: string) =>
    new SignJWT({ role: 'customer', sid: crypto.randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setSubject(sub)
      .setIssuer(ISS)
      .setAudience(AUD)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey)
  tokenA = await sign(crypto.randomUUID())
  tokenB = await sign(crypto.randomUUID())
  const verifier = createTokenVerifier({ keys: createLocalJWKSet({ keys: [jwk] }), issuer: ISS, audience: AUD })
  app = build(new IdempotencyStore(db.sql), verifier)
})

afterAll(() => db.drop())

const post = (token: string, key: string | undefined, body: unknown, path = '/things') =>
  call(app, 'POST', path, { token, body, headers: key === undefined ? {} : { 'idempotency-key': key } })

describe('Idempotency-Key plugin', () => {
  test('a missing key is a 400 problem and nothing happens', async () => {
    const before = effects
    const res = await post(tokenA, undefined, { amount: 1 })
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toContain('application/problem+json')
    expect(res.body.code).toBe('idempotency_key_required')
    expect(effects).toBe(before)
  })

  test('an over-long key is a 400', async () => {
    const res = await post(tokenA, 'k'.repeat(256), { amount: 1 })
    expect(res.status).toBe(400)
  })

  test('the same key and body replays the stored answer without running again', async () => {
    const first = await post(tokenA, 'replay-1', { amount: 5 })
    expect(first.status).toBe(201)
    expect(first.headers.get('idempotent-replayed')).toBeNull()
    const after = effects
    const second = await post(tokenA, 'replay-1', { amount: 5 })
    expect(second.status).toBe(201)
    expect(second.body).toEqual(first.body)
    expect(second.headers.get('idempotent-replayed')).toBe('true')
    expect(effects).toBe(after)
  })

  test('key order in the body does not matter for the comparison', async () => {
    const first = await post(tokenA, 'order-1', { amount: 6, wait: false })
    const second = await call(app, 'POST', '/things', {
      token: tokenA,
      headers: { 'idempotency-key': 'order-1' },
      body: { wait: false, amount: 6 },
    })
    expect(second.status).toBe(first.status)
    expect(second.headers.get('idempotent-replayed')).toBe('true')
  })

  test('the same key with a different body is a 422', async () => {
    await post(tokenA, 'mismatch-1', { amount: 7 })
    const before = effects
    const res = await post(tokenA, 'mismatch-1', { amount: 8 })
    expect(res.status).toBe(422)
    expect(res.body.code).toBe('idempotency_key_reused')
    expect(effects).toBe(before)
  })

  test('the same key on another resource path is a 422, not a replay', async () => {
    const a = await post(tokenA, 'path-1', undefined, '/things/a/move')
    expect(a.status).toBe(200)
    const b = await post(tokenA, 'path-1', undefined, '/things/b/move')
    expect(b.status).toBe(422)
  })

  test('two concurrent requests with one key: one runs, the other gets 409', async () => {
    const before = effects
    const first = post(tokenA, 'inflight-1', { amount: 9, wait: true })
    while (!release) await Bun.sleep(5)
    const second = await post(tokenA, 'inflight-1', { amount: 9, wait: true })
    expect(second.status).toBe(409)
    expect(second.body.code).toBe('idempotency_key_in_flight')
    release()
    release = undefined
    const done = await first
    expect(done.status).toBe(201)
    expect(effects).toBe(before + 1)
    const replay = await post(tokenA, 'inflight-1', { amount: 9, wait: true })
    expect(replay.headers.get('idempotent-replayed')).toBe('true')
    expect(replay.body).toEqual(done.body)
  })

  test('many concurrent requests with one key run the handler once', async () => {
    const before = effects
    const results = await Promise.all(Array.from({ length: 20 }, () => post(tokenA, 'storm-1', { amount: 3 })))
    expect(effects).toBe(before + 1)
    const statuses = results.map((r) => r.status)
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1)
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true)
  })

  test('keys are scoped per user', async () => {
    const a = await post(tokenA, 'shared-key', { amount: 10 })
    const b = await post(tokenB, 'shared-key', { amount: 11 })
    expect(a.status).toBe(201)
    expect(b.status).toBe(201)
    expect(b.headers.get('idempotent-replayed')).toBeNull()
    expect(b.body.amount).toBe(11)
  })

  test('a 4xx answer is final and replayed', async () => {
    const first = await post(tokenA, 'neg-1', { amount: -1 })
    expect(first.status).toBe(422)
    expect(first.body.code).toBe('negative')
    const second = await post(tokenA, 'neg-1', { amount: -1 })
    expect(second.status).toBe(422)
    expect(second.headers.get('idempotent-replayed')).toBe('true')
    expect(second.headers.get('content-type')).toContain('application/problem+json')
  })

  test('a 5xx frees the key so a retry runs again', async () => {
    const before = effects
    const first = await post(tokenA, 'crash-1', { amount: 13 })
    expect(first.status).toBe(500)
    expect(JSON.stringify(first.body)).not.toContain('crash')
    const second = await post(tokenA, 'crash-1', { amount: 13 })
    expect(second.status).toBe(500)
    expect(second.headers.get('idempotent-replayed')).toBeNull()
    expect(effects).toBe(before + 2)
  })

  test('without a token the route is 401 before any key is stored', async () => {
    const res = await call(app, 'POST', '/things', { body: { amount: 1 }, headers: { 'idempotency-key': 'anon' } })
    expect(res.status).toBe(401)
    const [row] = await db.sql`select count(*)::int as n from idempotency_keys where key = 'anon'`
    expect(row!.n).toBe(0)
  })
})

describe('IdempotencyStore retention', () => {
  test('records older than the window are pruned and the key can be used afresh', async () => {
    const store = new IdempotencyStore(db.sql, { retentionMs: 50 })
    const scope = { userId: 'u-prune', route: 'POST /x', key: 'k' }
    const claim = await store.begin(scope, 'h1')
    expect(claim.kind).toBe('owner')
    if (claim.kind !== 'owner') return
    await store.complete(scope, claim.lockToken, 201, { ok: true }, 'application/json')
    const replay = await store.begin(scope, 'h1')
    expect(replay.kind).toBe('replay')
    await Bun.sleep(80)
    // Expired records no longer bind the key, even before the pruner runs.
    const fresh = await store.begin(scope, 'h2')
    expect(fresh.kind).toBe('owner')
    if (fresh.kind !== 'owner') return
    await store.complete(scope, fresh.lockToken, 201, { ok: 2 }, 'application/json')
    await Bun.sleep(80)
    expect(await store.prune()).toBeGreaterThanOrEqual(1)
    const [row] = await db.sql`select count(*)::int as n from idempotency_keys where user_id = 'u-prune'`
    expect(row!.n).toBe(0)
  })

  test('a claim abandoned by a dead process is taken over after the lock expires', async () => {
    const store = new IdempotencyStore(db.sql, { lockMs: 50 })
    const scope = { userId: 'u-dead', route: 'POST /x', key: 'k' }
    expect((await store.begin(scope, 'h')).kind).toBe('owner')
    await expect(store.begin(scope, 'h')).rejects.toBeInstanceOf(ConflictError)
    await Bun.sleep(80)
    expect((await store.begin(scope, 'h')).kind).toBe('owner')
  })
})

describe("IdempotencyStore: a route's own statements in the claim, and the answer in the handler's", () => {
  test('claimWith writes only for the request that claims the key, and its lookup comes back', async () => {
    const store = new IdempotencyStore(db.sql)
    await db.sql`create table claim_side (key text primary key, n int not null)`
    const scope = { userId: 'u-with', route: 'POST /x', key: 'k1' }
    const withClaim = () => ({
      write: db.sql`insert into claim_side (key, n) select ${scope.key}, 1 from claimed on conflict (key) do update set n = claim_side.n + 1`,
      lookup: db.sql`(select n from claim_side where key = ${scope.key})`,
    })
    const first = await store.begin(scope, 'h', withClaim())
    expect(first.kind).toBe('owner')
    if (first.kind !== 'owner') return
    // The lookup sees the table as it was when the statement began: no row yet.
    expect(first.lookup).toBeNull()
    // In flight: 409, and nothing written.
    await expect(store.begin(scope, 'h', withClaim())).rejects.toBeInstanceOf(ConflictError)
    // A different body: 422, and nothing written.
    await expect(store.begin(scope, 'other', withClaim())).rejects.toBeInstanceOf(UnprocessableError)
    const [side] = await db.sql<{ n: number }[]>`select n from claim_side where key = ${scope.key}`
    expect(side!.n).toBe(1)

    // The answer recorded by the handler's own statement, only when its guard holds.
    const record = (guard: boolean) =>
      db.sql`with answered as (${store.recordIn(scope, first.lockToken, 201, db.sql`jsonb_build_object('n', (select n from claim_side where key = ${scope.key}))`, db.sql`${guard}`)}) select 1`
    await record(false)
    await expect(store.begin(scope, 'h', withClaim())).rejects.toBeInstanceOf(ConflictError)
    await record(true)
    const replay = await store.begin(scope, 'h', withClaim())
    expect(replay).toEqual({ kind: 'replay', status: 201, body: { n: 1 }, contentType: 'application/json' })
    const [after] = await db.sql<{ n: number }[]>`select n from claim_side where key = ${scope.key}`
    expect(after!.n).toBe(1)
  })
})
