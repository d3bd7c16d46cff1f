import { afterAll, describe, expect, test } from 'bun:test'
import { exportPKCS8, generateKeyPair, decodeProtectedHeader } from 'jose'
import { createTokenVerifier, remoteKeySet } from '@shop/shared/http/auth'
import { migrate } from '@shop/shared/data/migrate'
import { call, testLog, testSchema } from '@shop/shared/testing'
import { MIGRATIONS_DIR } from '../../bootstrap.ts'
import { createTestUsers, TEST_AUDIENCE, TEST_ISSUER } from '../../testing.ts'
import { loadKeyRing } from './service.ts'

const db = testSchema('keys')
afterAll(() => db.drop())
const options = { issuer: TEST_ISSUER, audience: TEST_AUDIENCE, ttlSeconds: 900 }

describe('signing key', () => {
  test('is generated once: restarts and concurrent instances agree on one key', async () => {
    await migrate(db.sql, db.schema, [{ source: 'users', dir: MIGRATIONS_DIR }])
    const rings = await Promise.all(Array.from({ length: 4 }, () => loadKeyRing(db.sql, options)))
    const kids = new Set(rings.map((r) => r.kid))
    expect(kids.size).toBe(1)
    const again = await loadKeyRing(db.sql, options)
    expect(again.kid).toBe(rings[0]!.kid)
    expect(again.jwks).toEqual(rings[0]!.jwks)
    const [row] = await db.sql`select count(*)::int as n from signing_keys`
    expect(row!.n).toBe(1)
  })

  test('the JWKS has only public material', async () => {
    const ring = await loadKeyRing(db.sql, options)
    const [key] = ring.jwks.keys
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: ring.kid })
    expect(key!.d).toBeUndefined()
  })

  test('a PEM key from the environment is used as given, with its kid', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true })
    const pem = await exportPKCS8(privateKey)
    const ring = await loadKeyRing(db.sql, { ...options, privateKeyPem: pem, keyId: 'env-key-1' })
    expect(ring.kid).toBe('env-key-1')
    const token = await ring.signAccessToken({ userId: crypto.randomUUID(), role: 'customer', sessionId: crypto.randomUUID() })
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', kid: 'env-key-1' })
    const verifier = createTokenVerifier({ keys: ring.localKeys, ...options })
    expect((await verifier.verify(token)).role).toBe('customer')
  })
})

describe('other services verify against the served JWKS', () => {
  test('a token verifies through /.well-known/jwks.json over HTTP; a stopped users service is a 503, not a 401', async () => {
    const users = await createTestUsers()
    try {
      const server = users.app.listen({ port: 0, hostname: '127.0.0.1' })
      const jwksUrl = `http://127.0.0.1:${server.server!.port}/.well-known/jwks.json`
      await call(users.app, 'POST', '/api/auth/register', {
        body: { email: 'remote@example.com', password: 'correct horse battery', name: 'R' },
      })
      const { accessToken } = (
        await call(users.app, 'POST', '/api/auth/login', { body: { email: 'remote@example.com', password: 'correct horse battery' } })
      ).body
      const verifier = createTokenVerifier({ keys: remoteKeySet(jwksUrl), issuer: TEST_ISSUER, audience: TEST_AUDIENCE })
      const user = await verifier.verify(accessToken)
      expect(user.role).toBe('customer')
      const wrongAudience = createTokenVerifier({ keys: remoteKeySet(jwksUrl), issuer: TEST_ISSUER, audience: 'other' })
      await expect(wrongAudience.verify(accessToken)).rejects.toMatchObject({ status: 401 })
      await server.stop()
      const cold = createTokenVerifier({ keys: remoteKeySet(jwksUrl), issuer: TEST_ISSUER, audience: TEST_AUDIENCE })
      await expect(cold.verify(accessToken)).rejects.toMatchObject({ status: 503 })
      // The warm verifier keeps working from its cache while users is down.
      expect((await verifier.verify(accessToken)).id).toBe(user.id)
    } finally {
      await users.close()
    }
  })
})

describe('migrations', () => {
  test('two instances migrating one fresh schema at once apply each migration once', async () => {
    const fresh = testSchema('migr')
    try {
      const results = await Promise.all([
        migrate(fresh.sql, fresh.schema, [{ source: 'users', dir: MIGRATIONS_DIR }]),
        migrate(fresh.sql, fresh.schema, [{ source: 'users', dir: MIGRATIONS_DIR }]),
      ])
      const counts = results.map((r) => r.applied.length).sort()
      expect(counts[0]).toBe(0)
      expect(counts[1]).toBeGreaterThanOrEqual(3)
      const rows = await fresh.sql`select source, id from schema_migrations order by id`
      expect(rows.length).toBe(counts[1]!)
    } finally {
      await fresh.drop()
    }
    expect(testLog).toBeDefined()
  })
})
