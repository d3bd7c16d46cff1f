/**
 * Registration, sign-in and the session lifecycle. Refresh tokens are opaque, stored as SHA-256,
 * rotated on every use; presenting a spent one revokes the whole session (the thief and the
 * owner both have to sign in again).
 */
import { createHash, randomBytes } from 'node:crypto'
import { UnauthorizedError, ValidationFailedError } from '@shop/shared/http/errors'
import type { RateLimiter } from '@shop/shared/http/rate-limit'
import type { Sql } from '@shop/shared/data/db'
import type { Logger } from '@shop/shared/runtime/logger'
import type { KeyRing } from '../keys/service.ts'
import * as sessions from '../sessions/repository.ts'
import * as users from '../users/repository.ts'
import { EmailTakenError, isUniqueViolation, normaliseEmail, normaliseName, toUser } from '../users/service.ts'
import type { User } from '../users/model.ts'
import type { Register, Tokens } from './model.ts'
import { passwordWeakness, type PasswordHasher } from './password.ts'

export interface AuthDeps {
  sql: Sql
  keys: KeyRing
  passwords: PasswordHasher
  limiter: RateLimiter
  log: Logger
  accessTtlSeconds: number
  refreshTtlDays: number
  loginLimits: { perEmail: number; perIp: number; windowMs: number }
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex')

function invalidRefresh(): UnauthorizedError {
  return new UnauthorizedError('The refresh token is invalid, expired or revoked; sign in again', 'invalid_token')
}

export function createAuthService(deps: AuthDeps) {
  const { sql, keys, passwords, limiter, log } = deps

  async function issueTokens(db: Parameters<typeof sessions.insertRefreshToken>[0], user: { id: string; role: users.UserRow['role']; name: string }, sessionId: string): Promise<Tokens> {
    const refreshToken = randomBytes(32).toString('base64url')
    await sessions.insertRefreshToken(db, {
      tokenHash: hashToken(refreshToken),
      sessionId,
      expiresAt: new Date(Date.now() + deps.refreshTtlDays * 86_400_000),
    })
    // The name travels in the token so that other services (reviews' authors) need not ask for it.
    const accessToken = await keys.signAccessToken({ userId: user.id, role: user.role, sessionId, name: user.name })
    return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: deps.accessTtlSeconds }
  }

  return {
    async register(input: Register): Promise<User> {
      const email = normaliseEmail(input.email)
      const name = normaliseName(input.name)
      const weakness = passwordWeakness(input.password, email, name)
      if (weakness) throw new ValidationFailedError(`password: ${weakness}`, [{ field: 'password', message: weakness }])
      // Checked first so a duplicate does not cost an argon2 hash; the unique index decides races.
      if (await users.findByEmail(sql, email)) throw new EmailTakenError()
      try {
        const row = await users.insert(sql, {
          id: Bun.randomUUIDv7(),
          email,
          passwordHash: await passwords.hash(input.password),
          name,
          role: 'customer',
        })
        log.info('user registered', { userId: row.id })
        return toUser(row)
      } catch (error) {
        if (isUniqueViolation(error, 'users_email_key')) throw new EmailTakenError()
        throw error
      }
    },

    async login(input: { email: string; password: string }, clientIp: string): Promise<Tokens> {
      const email = normaliseEmail(input.email)
      const window = { windowMs: deps.loginLimits.windowMs }
      await limiter.hit(`login:ip:${clientIp}`, { limit: deps.loginLimits.perIp, ...window })
      await limiter.hit(`login:email:${email}`, { limit: deps.loginLimits.perEmail, ...window })
      const user = await users.findByEmail(sql, email)
      const ok = user ? await passwords.verify(input.password, user.passwordHash) : await passwords.verifyDummy(input.password)
      if (!user || !ok) {
        log.info('login failed', { reason: user ? 'wrong_password' : 'unknown_email' })
        throw new UnauthorizedError('The email or password is wrong', 'invalid_credentials')
      }
      await limiter.reset(`login:email:${email}`)
      const sessionId = Bun.randomUUIDv7()
      return sql.begin(async (tx) => {
        await sessions.insertSession(tx, {
          id: sessionId,
          userId: user.id,
          expiresAt: new Date(Date.now() + deps.refreshTtlDays * 86_400_000),
        })
        return issueTokens(tx, user, sessionId)
      })
    },

    async refresh(refreshToken: string): Promise<Tokens> {
      const tokenHash = hashToken(refreshToken)
      const outcome = await sql.begin(async (tx) => {
        const row = await sessions.findRefreshTokenForUpdate(tx, tokenHash)
        if (!row) return { kind: 'invalid' as const }
        if (row.usedAt) {
          // Reuse of a spent token: someone else holds a copy. End the whole session family.
          await sessions.revokeSession(tx, row.sessionId, 'refresh_token_reuse')
          return { kind: 'reuse' as const, sessionId: row.sessionId, userId: row.userId }
        }
        const now = Date.now()
        if (row.sessionRevokedAt || row.sessionExpiresAt.getTime() <= now || row.expiresAt.getTime() <= now)
          return { kind: 'invalid' as const }
        const user = await users.findById(tx, row.userId)
        if (!user) return { kind: 'invalid' as const }
        await sessions.markUsed(tx, tokenHash)
        return { kind: 'ok' as const, tokens: await issueTokens(tx, user, row.sessionId) }
      })
      if (outcome.kind === 'reuse') log.warn('refresh token reuse: session revoked', { sessionId: outcome.sessionId, userId: outcome.userId })
      if (outcome.kind !== 'ok') throw invalidRefresh()
      return outcome.tokens
    },

    /** Revokes the session of `refreshToken`. Unknown or already revoked tokens are fine: logout is idempotent. */
    async logout(refreshToken: string): Promise<void> {
      await sql.begin(async (tx) => {
        const row = await sessions.findRefreshTokenForUpdate(tx, hashToken(refreshToken))
        if (row) await sessions.revokeSession(tx, row.sessionId, 'logout')
      })
    },
  }
}

export type AuthService = ReturnType<typeof createAuthService>
