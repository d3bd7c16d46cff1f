import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { call } from '@shop/shared/testing'
import { createTestUsers } from '../../testing.ts'

const PASSWORD = 'correct horse battery'
const ADMIN = { email: 'Root@Shop.test', password: 'admin password 1' }
let t: Awaited<ReturnType<typeof createTestUsers>>

beforeAll(async () => {
  t = await createTestUsers({ admin: ADMIN })
})
afterAll(() => t.close())

async function signUp(email: string) {
  const reg = await call(t.app, 'POST', '/api/auth/register', { body: { email, password: PASSWORD, name: 'Someone' } })
  const tokens = (await call(t.app, 'POST', '/api/auth/login', { body: { email, password: PASSWORD } })).body
  return { id: reg.body.id as string, ...tokens }
}

describe('GET/PATCH /api/users/me', () => {
  test('reads the caller profile', async () => {
    const u = await signUp('me@example.com')
    const res = await call(t.app, 'GET', '/api/users/me', { token: u.accessToken })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ id: u.id, email: 'me@example.com', name: 'Someone', role: 'customer' })
    expect(new Date(res.body.createdAt).toISOString()).toBe(res.body.createdAt)
  })

  test('changes the name without a password', async () => {
    const u = await signUp('rename@example.com')
    const res = await call(t.app, 'PATCH', '/api/users/me', { token: u.accessToken, body: { name: '  New Name ' } })
    expect(res.status).toBe(200)
    expect(res.body.name).toBe('New Name')
  })

  test('changing the email or password needs the current password', async () => {
    const u = await signUp('secret@example.com')
    const missing = await call(t.app, 'PATCH', '/api/users/me', { token: u.accessToken, body: { password: 'a new password 9' } })
    expect(missing.status).toBe(422)
    expect(missing.body.errors[0].field).toBe('currentPassword')
    const wrong = await call(t.app, 'PATCH', '/api/users/me', {
      token: u.accessToken,
      body: { email: 'other@example.com', currentPassword: 'nope nope nope' },
    })
    expect(wrong.status).toBe(401)
  })

  test('a new password works, the old one stops, and other sessions are revoked', async () => {
    const u = await signUp('rotate@example.com')
    const other = (await call(t.app, 'POST', '/api/auth/login', { body: { email: 'rotate@example.com', password: PASSWORD } })).body
    const res = await call(t.app, 'PATCH', '/api/users/me', {
      token: u.accessToken,
      body: { password: 'a brand new secret', currentPassword: PASSWORD },
    })
    expect(res.status).toBe(200)
    const oldLogin = await call(t.app, 'POST', '/api/auth/login', { body: { email: 'rotate@example.com', password: PASSWORD } })
    expect(oldLogin.status).toBe(401)
    const newLogin = await call(t.app, 'POST', '/api/auth/login', {
      body: { email: 'rotate@example.com', password: 'a brand new secret' },
    })
    expect(newLogin.status).toBe(200)
    expect((await call(t.app, 'POST', '/api/auth/refresh', { body: { refreshToken: other.refreshToken } })).status).toBe(401)
    expect((await call(t.app, 'POST', '/api/auth/refresh', { body: { refreshToken: u.refreshToken } })).status).toBe(200)
  })

  test('taking an email that exists is a 409', async () => {
    await signUp('taken@example.com')
    const u = await signUp('wants@example.com')
    const res = await call(t.app, 'PATCH', '/api/users/me', {
      token: u.accessToken,
      body: { email: 'TAKEN@example.com', currentPassword: PASSWORD },
    })
    expect(res.status).toBe(409)
    expect(res.body.code).toBe('email_taken')
  })

  test.each([
    [{ name: '' }, 'name'],
    [{ email: 'nope' }, 'email'],
    [{ password: 'short', currentPassword: PASSWORD }, 'password'],
    [{ name: '   ' }, 'name'],
    [{ name: 'Tab\u0000Name' }, 'name'],
    [{ email: 'x\u0000@example.com', currentPassword: PASSWORD }, 'email'],
    [{ password: 'qwerty123', currentPassword: PASSWORD }, 'password'],
  ])('invalid change %j is a 422 naming %s', async (body, field) => {
    const u = await signUp(`invalid-${field}-${crypto.randomUUID().slice(0, 8)}@example.com`)
    const res = await call(t.app, 'PATCH', '/api/users/me', { token: u.accessToken, body })
    expect(res.status).toBe(422)
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field)
  })

  test('guessing the current password is limited like a login: 429 after the allowed attempts, even with the right one', async () => {
    const u = await signUp('guesser@example.com')
    const { perEmail } = t.deps.loginLimits
    const statuses: number[] = []
    for (let i = 0; i <= perEmail; i++)
      statuses.push((await call(t.app, 'PATCH', '/api/users/me', { token: u.accessToken, body: { email: 'new@example.com', currentPassword: `guess ${i}` } })).status)
    expect(statuses.slice(0, perEmail).every((s) => s === 401)).toBe(true)
    expect(statuses[perEmail]).toBe(429)
    const right = await call(t.app, 'PATCH', '/api/users/me', { token: u.accessToken, body: { email: 'new@example.com', currentPassword: PASSWORD } })
    expect(right.status).toBe(429)
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0)
  })

  test('a change that changes nothing, or a body that is not an object, is a 422 (it was a silent 200)', async () => {
    const u = await signUp('nothing@example.com')
    for (const body of ['"hello"', '42', '[1,2]', '{}', '{"foo":1}']) {
      const res = await t.app.handle(
        new Request('http://localhost/api/users/me', { method: 'PATCH', headers: { authorization: `Bearer ${u.accessToken}`, 'content-type': 'application/json' }, body }),
      )
      expect({ body, status: res.status }).toEqual({ body, status: 422 })
    }
  })

  test('without a token: 401 problem', async () => {
    const res = await call(t.app, 'PATCH', '/api/users/me', { body: { name: 'x' } })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer')
  })
})

describe('roles', () => {
  test('ADMIN_EMAIL/ADMIN_PASSWORD made an admin who can sign in and read any user', async () => {
    const admin = (await call(t.app, 'POST', '/api/auth/login', { body: ADMIN })).body
    expect(admin.accessToken).toBeString()
    const u = await signUp('readme@example.com')
    const res = await call(t.app, 'GET', `/api/users/${u.id}`, { token: admin.accessToken })
    expect(res.status).toBe(200)
    expect(res.body.email).toBe('readme@example.com')
    const me = await call(t.app, 'GET', '/api/users/me', { token: admin.accessToken })
    expect(me.body).toMatchObject({ email: 'root@shop.test', role: 'admin' })
  })

  test('a customer reading another user by id: 403', async () => {
    const a = await signUp('nosy@example.com')
    const b = await signUp('private@example.com')
    const res = await call(t.app, 'GET', `/api/users/${b.id}`, { token: a.accessToken })
    expect(res.status).toBe(403)
    expect(res.body.code).toBe('forbidden')
  })

  test('admin: unknown id 404, malformed id 422', async () => {
    const admin = (await call(t.app, 'POST', '/api/auth/login', { body: ADMIN })).body
    expect((await call(t.app, 'GET', `/api/users/${crypto.randomUUID()}`, { token: admin.accessToken })).status).toBe(404)
    const bad = await call(t.app, 'GET', '/api/users/123', { token: admin.accessToken })
    expect(bad.status).toBe(422)
    expect(bad.body.errors[0].field).toBe('id')
  })

  test('bootstrapping again promotes an existing account and creates no duplicate', async () => {
    const { createUsersService } = await import('./service.ts')
    const service = createUsersService({ sql: t.db.sql, passwords: t.deps.passwords, log: t.deps.log })
    await signUp('promote@example.com')
    await Promise.all([service.ensureAdmin('promote@example.com', 'ignored pw 123'), service.ensureAdmin(ADMIN.email, ADMIN.password)])
    const rows = await t.db.sql`select email, role from users where role = 'admin' order by email`
    expect(rows.map((r) => r.email)).toEqual(['promote@example.com', 'root@shop.test'])
  })
})
