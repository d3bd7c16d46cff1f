import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SignJWT, generateKeyPair, decodeJwt } from 'jose'
import { TRUST_NO_ONE } from '@shop/shared/http/client-address'
import { call } from '@shop/shared/testing'
import { createTestUsers, TEST_AUDIENCE, TEST_ISSUER } from '../../testing.ts'

let t: Awaited<ReturnType<typeof createTestUsers>>
const PASSWORD = 'correct horse battery'

let base = ''
beforeAll(async () => {
  t = await createTestUsers({ loginLimits: { perEmail: 4, perIp: 8, windowMs: 60_000 } })
  base = t.listen()
})
afterAll(() => t.close())

let ipCounter = 0
/** A fresh client address per call, so per-address limits only bite where a test means them to. */
const freshIp = () => `10.0.${Math.floor(++ipCounter / 250)}.${ipCounter % 250}`

async function register(email: string, password = PASSWORD, name = 'Test User') {
  return call(t.app, 'POST', '/api/auth/register', { body: { email, password, name } })
}
/** A sign-in as the gateway forwards it (from loopback, which the service trusts), for the client at `forwardedFor`. */
async function login(email: string, password = PASSWORD, forwardedFor = freshIp()) {
  const res = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
    body: JSON.stringify({ email, password }),
  })
  const text = await res.text()
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined }
}

describe('register', () => {
  test('creates a customer with a normalised email and no password in the answer', async () => {
    const res = await register('  Alice@Example.COM ')
    expect(res.status).toBe(201)
    expect(res.body.email).toBe('alice@example.com')
    expect(res.body.role).toBe('customer')
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(JSON.stringify(res.body)).not.toContain('argon2')
    expect(res.body.passwordHash).toBeUndefined()
    const [row] = await t.db.sql`select password_hash from users where id = ${res.body.id}`
    expect(row!.passwordHash).toStartWith('$argon2id$')
  })

  test('a duplicate email, in any case, is a 409 problem', async () => {
    await register('dup@example.com')
    const res = await register('DUP@example.com')
    expect(res.status).toBe(409)
    expect(res.body.code).toBe('email_taken')
    expect(res.headers.get('content-type')).toContain('application/problem+json')
  })

  test('the same address composed and decomposed (NFC and NFD) is one account', async () => {
    const composed = 'jos\u00e9@example.com'
    const decomposed = 'jose\u0301@example.com'
    expect(composed).not.toBe(decomposed)
    expect((await register(composed)).status).toBe(201)
    const twin = await register(decomposed)
    expect(twin.status).toBe(409)
    expect(twin.body.code).toBe('email_taken')
    expect((await login(decomposed)).status).toBe(200)
  })

  test('a long passphrase of emoji and accents counts characters as people do: 128 fit, 129 do not', async () => {
    const alphabet = ['😀', 'é', 'ñ', 'ß', '🙂', 'ø', 'ü', '🐍', 'ç', 'å', 'k', '7', '🇫🇷', 'ж', 'λ', '漢']
    let seed = 7
    const phrase = Array.from({ length: 128 }, () => alphabet[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % alphabet.length]!).join('')
    expect(phrase.length).toBeGreaterThan(128)
    expect((await register('passphrase@example.com', phrase)).status).toBe(201)
    const long = await register('toolong@example.com', phrase + 'x')
    expect(long.status).toBe(422)
    expect(long.body.errors[0].field).toBe('password')
    expect((await login('passphrase@example.com', phrase)).status).toBe(200)
  })

  test('concurrent registrations of one email make exactly one account', async () => {
    const results = await Promise.all(Array.from({ length: 5 }, () => register('race@example.com')))
    expect(results.filter((r) => r.status === 201).length).toBe(1)
    expect(results.filter((r) => r.status === 409).length).toBe(4)
  })

  test.each([
    [{ email: 'not-an-email', password: PASSWORD, name: 'X' }, 'email'],
    [{ email: 'short@example.com', password: 'short', name: 'X' }, 'password'],
    [{ email: 'long@example.com', password: 'x'.repeat(129), name: 'X' }, 'password'],
    [{ email: 'noname@example.com', password: PASSWORD, name: '' }, 'name'],
    [{ email: 'noname2@example.com', password: PASSWORD }, 'name'],
    [{ password: PASSWORD, name: 'X' }, 'email'],
    [{ email: 'weak@example.com', password: 'password123', name: 'X' }, 'password'],
    [{ email: 'same@example.com', password: 'same@example.com', name: 'X' }, 'password'],
    [{ email: 'blank@example.com', password: PASSWORD, name: '   ' }, 'name'],
    // Common and leaked passwords, from the maintained list: refused however they are dressed.
    [{ email: 'qwerty@example.com', password: 'qwerty123', name: 'X' }, 'password'],
    [{ email: 'passw@example.com', password: 'Passw0rd!', name: 'X' }, 'password'],
    [{ email: 'sun@example.com', password: 'sunshine', name: 'X' }, 'password'],
    [{ email: 'zaq@example.com', password: 'zaq12wsx', name: 'X' }, 'password'],
    // Eight UTF-16 units but four characters as a person counts them.
    [{ email: 'emoji@example.com', password: '😀😀😀😀', name: 'X' }, 'password'],
    [{ email: 'family@example.com', password: '👨‍👩‍👧👨‍👩‍👧👨‍👩‍👧', name: 'X' }, 'password'],
    [{ email: 'nul@example.com', password: PASSWORD, name: 'Nul\u0000Name' }, 'name'],
    [{ email: 'nul\u0000@example.com', password: PASSWORD, name: 'X' }, 'email'],
    [{ email: 'nulpw@example.com', password: 'correct\u0000horse battery', name: 'X' }, 'password'],
  ])('invalid body %j is a 422 naming %s', async (body, field) => {
    const res = await call(t.app, 'POST', '/api/auth/register', { body })
    expect(res.status).toBe(422)
    expect(res.body.code).toBe('validation_failed')
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field)
  })

  test('a client cannot make itself admin: unknown fields such as role are dropped', async () => {
    const res = await call(t.app, 'POST', '/api/auth/register', {
      body: { email: 'extra@example.com', password: PASSWORD, name: 'X', role: 'admin' },
    })
    expect(res.status).toBe(201)
    expect(res.body.role).toBe('customer')
  })

  test('a body that is not JSON is a 400 problem', async () => {
    const res = await t.app.handle(
      new Request('http://localhost/api/auth/register', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"email":',
      }),
    )
    expect(res.status).toBe(400)
    expect((await res.json()).code).toBe('bad_request')
  })
})

describe('login', () => {
  beforeAll(async () => {
    await register('bob@example.com')
  })

  test('answers an access token, a refresh token and expiresIn', async () => {
    const res = await login('BOB@example.com')
    expect(res.status).toBe(200)
    expect(res.body.expiresIn).toBe(900)
    expect(res.body.tokenType).toBe('Bearer')
    const claims = decodeJwt(res.body.accessToken)
    expect(claims.iss).toBe(TEST_ISSUER)
    expect(claims.aud).toBe(TEST_AUDIENCE)
    expect(claims.exp! - claims.iat!).toBe(900)
    expect(claims.role).toBe('customer')
    const [row] = await t.db.sql`select count(*)::int as n from refresh_tokens where token_hash = ${res.body.refreshToken}`
    expect(row!.n).toBe(0) // only the hash is stored
  })

  test('wrong password and unknown email answer the same 401', async () => {
    const wrong = await login('bob@example.com', 'wrong password!')
    const unknown = await login('nobody@example.com', 'wrong password!')
    expect(wrong.status).toBe(401)
    expect(unknown.status).toBe(401)
    expect(wrong.body).toEqual(unknown.body)
    expect(wrong.body.code).toBe('invalid_credentials')
  })

  test('wrong password and unknown email take similar time (both run argon2id)', async () => {
    for (let i = 0; i < 5; i++) await register(`timing${i}@example.com`)
    const time = async (email: string) => {
      const start = performance.now()
      await login(email, 'wrong password!')
      return performance.now() - start
    }
    const known: number[] = []
    const unknown: number[] = []
    for (let i = 0; i < 5; i++) {
      known.push(await time(`timing${i}@example.com`))
      unknown.push(await time(`ghost${i}@example.com`))
    }
    // Medians of five, wide bounds: the point is that an unknown email also pays for argon2id
    // (without the dummy hash it answers in well under a tenth of the time), not a benchmark.
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[2]!
    const ratio = median(unknown) / median(known)
    expect(ratio).toBeGreaterThan(0.33)
    expect(ratio).toBeLessThan(3)
  })

  test('more attempts for one email than allowed: 429 with Retry-After', async () => {
    await register('carol@example.com')
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) statuses.push((await login('carol@example.com', 'not her password')).status)
    expect(statuses).toEqual([401, 401, 401, 401, 429])
    const limited = await login('carol@example.com')
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(limited.body.code).toBe('rate_limited')
  })

  test('more attempts from one address than allowed: 429', async () => {
    const ip = '192.0.2.77'
    const statuses: number[] = []
    for (let i = 0; i < 9; i++) statuses.push((await login(`spray${i}@example.com`, 'whatever123', ip)).status)
    expect(statuses.slice(0, 8).every((s) => s === 401)).toBe(true)
    expect(statuses[8]).toBe(429)
  })

  test('a spoofed first hop does not reset the per-address limit: the address our proxy saw counts', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 9; i++) statuses.push((await login(`spoof${i}@example.com`, 'whatever123', `198.51.100.${i}, 192.0.2.78`)).status)
    expect(statuses.slice(0, 8).every((s) => s === 401)).toBe(true)
    expect(statuses[8]).toBe(429)
  })

  test('a peer that is not a trusted proxy is counted by its own address, whatever X-Forwarded-For says', async () => {
    const untrusting = await createTestUsers({ loginLimits: { perEmail: 100, perIp: 3, windowMs: 60_000 }, trustedProxies: TRUST_NO_ONE })
    try {
      const direct = untrusting.listen()
      const statuses: number[] = []
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${direct}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.${i}` },
          body: JSON.stringify({ email: `direct${i}@example.com`, password: 'whatever123' }),
        })
        statuses.push(res.status)
      }
      expect(statuses).toEqual([401, 401, 401, 429])
    } finally {
      await untrusting.close()
    }
  })

  test('a successful login resets the per-email counter', async () => {
    await register('dave@example.com')
    for (let i = 0; i < 3; i++) expect((await login('dave@example.com', 'typo password')).status).toBe(401)
    expect((await login('dave@example.com')).status).toBe(200)
    for (let i = 0; i < 3; i++) expect((await login('dave@example.com', 'typo password')).status).toBe(401)
    expect((await login('dave@example.com')).status).toBe(200)
  })
})

describe('access tokens', () => {
  let token: string
  let userId: string
  beforeAll(async () => {
    const reg = await register('erin@example.com')
    userId = reg.body.id
    token = (await login('erin@example.com')).body.accessToken
  })

  const me = (bearer: string) => call(t.app, 'GET', '/api/users/me', { headers: { authorization: `Bearer ${bearer}` } })

  test('a valid token reads the profile', async () => {
    const res = await me(token)
    expect(res.status).toBe(200)
    expect(res.body.id).toBe(userId)
  })

  test('no token, a malformed header or garbage: 401', async () => {
    expect((await call(t.app, 'GET', '/api/users/me')).status).toBe(401)
    expect((await call(t.app, 'GET', '/api/users/me', { headers: { authorization: 'Basic abc' } })).status).toBe(401)
    expect((await me('not.a.jwt')).status).toBe(401)
  })

  test('a tampered payload: 401', async () => {
    const [h, p, s] = token.split('.')
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString())
    claims.role = 'admin'
    const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`
    const res = await me(forged)
    expect(res.status).toBe(401)
    expect(res.body.code).toBe('invalid_token')
  })

  test('alg none: 401', async () => {
    const [, p] = token.split('.')
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')
    expect((await me(`${header}.${p}.`)).status).toBe(401)
  })

  test('HS256 signed with the public key as secret (algorithm confusion): 401', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(t.deps.keys.jwks.keys[0]))
    const forged = await new SignJWT({ role: 'admin', sid: crypto.randomUUID() })
      .setProtectedHeader({ alg: 'HS256', kid: t.deps.keys.kid })
      .setSubject(userId)
      .setIssuer(TEST_ISSUER)
      .setAudience(TEST_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(secret)
    expect((await me(forged)).status).toBe(401)
  })

  const signWith = async (key: CryptoKey, kid: string, edit: (jwt: SignJWT) => SignJWT) =>
    edit(
      new SignJWT({ role: 'customer', sid: crypto.randomUUID() })
        .setProtectedHeader({ alg: 'ES256', kid })
        .setSubject(userId)
        .setIssuedAt(),
    ).sign(key)

  test('a token from another key, even with our kid: 401', async () => {
    const { privateKey } = await generateKeyPair('ES256')
    const forged = await signWith(privateKey, t.deps.keys.kid, (j) =>
      j.setIssuer(TEST_ISSUER).setAudience(TEST_AUDIENCE).setExpirationTime('5m'),
    )
    expect((await me(forged)).status).toBe(401)
  })

  test('expired, wrong issuer, wrong audience: 401', async () => {
    const now = Math.floor(Date.now() / 1000)
    const sign = (edit: (jwt: SignJWT) => SignJWT) =>
      edit(
        new SignJWT({ role: 'customer', sid: crypto.randomUUID() })
          .setProtectedHeader({ alg: 'ES256', kid: t.deps.keys.kid })
          .setSubject(userId),
      )
    // Sign with the service's real key through its own signer, then alter claims via a fresh signer.
    const privateJwk = (await t.db.sql`select private_jwk from signing_keys where active`)[0]!.privateJwk
    const { importJWK } = await import('jose')
    const key = (await importJWK(privateJwk, 'ES256')) as CryptoKey
    const expired = await sign((j) => j.setIssuer(TEST_ISSUER).setAudience(TEST_AUDIENCE).setIssuedAt(now - 1000).setExpirationTime(now - 60)).sign(key)
    const wrongIss = await sign((j) => j.setIssuer('someone-else').setAudience(TEST_AUDIENCE).setIssuedAt().setExpirationTime('5m')).sign(key)
    const wrongAud = await sign((j) => j.setIssuer(TEST_ISSUER).setAudience('other').setIssuedAt().setExpirationTime('5m')).sign(key)
    const good = await sign((j) => j.setIssuer(TEST_ISSUER).setAudience(TEST_AUDIENCE).setIssuedAt().setExpirationTime('5m')).sign(key)
    expect((await me(good)).status).toBe(200) // the control: the same recipe with valid claims works
    const res = await me(expired)
    expect(res.status).toBe(401)
    expect(res.body.detail).toContain('expired')
    expect((await me(wrongIss)).status).toBe(401)
    expect((await me(wrongAud)).status).toBe(401)
  })
})

describe('refresh and logout', () => {
  beforeAll(async () => {
    await register('frank@example.com')
  })

  const refresh = (refreshToken: string) => call(t.app, 'POST', '/api/auth/refresh', { body: { refreshToken } })

  test('rotation: each refresh gives a new pair and spends the old token', async () => {
    const first = (await login('frank@example.com')).body
    const second = await refresh(first.refreshToken)
    expect(second.status).toBe(200)
    expect(second.body.refreshToken).not.toBe(first.refreshToken)
    expect(decodeJwt(second.body.accessToken).sid).toBe(decodeJwt(first.accessToken).sid)
    const third = await refresh(second.body.refreshToken)
    expect(third.status).toBe(200)
  })

  test('reusing a spent token revokes the whole session family', async () => {
    const first = (await login('frank@example.com')).body
    const second = (await refresh(first.refreshToken)).body
    const reuse = await refresh(first.refreshToken)
    expect(reuse.status).toBe(401)
    // The legitimate newest token dies with the family.
    const afterReuse = await refresh(second.refreshToken)
    expect(afterReuse.status).toBe(401)
    const sid = decodeJwt(first.accessToken).sid as string
    const [session] = await t.db.sql`select revoked_reason from sessions where id = ${sid}`
    expect(session!.revokedReason).toBe('refresh_token_reuse')
  })

  test('other sessions survive a reuse in one session', async () => {
    const a = (await login('frank@example.com')).body
    const b = (await login('frank@example.com')).body
    await refresh(a.refreshToken)
    expect((await refresh(a.refreshToken)).status).toBe(401)
    expect((await refresh(b.refreshToken)).status).toBe(200)
  })

  test('two concurrent refreshes with one token: one wins, the session is then revoked', async () => {
    const a = (await login('frank@example.com')).body
    const [x, y] = await Promise.all([refresh(a.refreshToken), refresh(a.refreshToken)])
    expect([x.status, y.status].sort()).toEqual([200, 401])
    const winner = x.status === 200 ? x : y
    expect((await refresh(winner.body.refreshToken)).status).toBe(401)
  })

  test('an unknown token: 401; a malformed one: 422', async () => {
    expect((await refresh('x'.repeat(43))).status).toBe(401)
    const res = await call(t.app, 'POST', '/api/auth/refresh', { body: { refreshToken: 'short' } })
    expect(res.status).toBe(422)
    expect(res.body.errors[0].field).toBe('refreshToken')
  })

  test('logout revokes the session; logging out twice is harmless', async () => {
    const a = (await login('frank@example.com')).body
    const out = await call(t.app, 'POST', '/api/auth/logout', { body: { refreshToken: a.refreshToken } })
    expect(out.status).toBe(204)
    expect((await refresh(a.refreshToken)).status).toBe(401)
    const again = await call(t.app, 'POST', '/api/auth/logout', { body: { refreshToken: a.refreshToken } })
    expect(again.status).toBe(204)
  })
})
