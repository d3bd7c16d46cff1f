import { NotFoundError, UnauthorizedError, ValidationFailedError, ConflictError } from '@shop/shared/http/errors'
import { decodeCursor, pageLimit, toPage } from '@shop/shared/http/pagination'
import type { Sql } from '@shop/shared/data/db'
import type { Logger } from '@shop/shared/runtime/logger'
import type { RateLimiter } from '@shop/shared/http/rate-limit'
import type { PasswordHasher } from '../auth/password.ts'
import { passwordWeakness } from '../auth/password.ts'
import * as sessions from '../sessions/repository.ts'
import type { User, UpdateMe, UserListItem, UserListQuery } from './model.ts'
import * as repo from './repository.ts'

export function toUser(row: repo.UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }
}

/**
 * Trimmed, lower-cased and in Unicode NFC: the one form stored and compared (the same address
 * typed on two keyboards can arrive composed or decomposed; it is one account).
 */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase().normalize('NFC')
}

/** A display name as stored: trimmed, NFC; a blank one is a 422 naming `name`. */
export function normaliseName(name: string): string {
  const trimmed = name.trim().normalize('NFC')
  if (!trimmed) throw new ValidationFailedError('name: must not be blank', [{ field: 'name', message: 'must not be blank' }])
  return trimmed
}

function toListItem(row: repo.UserListRow): UserListItem {
  return { id: row.id, email: row.email, name: row.name, role: row.role, createdAt: row.createdAt.toISOString() }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function isUniqueViolation(error: unknown, constraint: string): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { code?: string }).code === '23505' &&
    (error as { constraint_name?: string }).constraint_name === constraint
  )
}

export class EmailTakenError extends ConflictError<'email_taken'> {
  constructor() {
    super('An account with this email already exists', 'email_taken')
  }
}

export interface UsersServiceDeps {
  sql: Sql
  passwords: PasswordHasher
  log: Logger
  /** Counts current-password checks (PATCH /me), like logins: one guess costs one attempt. */
  limiter?: RateLimiter
  passwordLimits?: { perEmail: number; windowMs: number }
}

export function createUsersService(deps: UsersServiceDeps) {
  const { sql, passwords, log } = deps

  async function getById(id: string): Promise<User> {
    const row = await repo.findById(sql, id)
    if (!row) throw new NotFoundError('No such user')
    return toUser(row)
  }

  return {
    getById,

    /**
     * Admin: users whose email or name starts with `q` (any case, compared in NFC as both are
     * stored), newest first, keyset-paged on the id.
     */
    async list(query: UserListQuery) {
      const limit = pageLimit(query.limit)
      const before = decodeCursor(query.cursor, (v): v is string => typeof v === 'string' && UUID.test(v))
      const prefix = query.q?.normalize('NFC')
      const rows = await repo.search(sql, { prefix: prefix || undefined, before, limit: limit + 1 })
      return toPage(rows, limit, toListItem, (row) => row.id)
    },

    async updateMe(userId: string, sessionId: string, input: UpdateMe): Promise<User> {
      const row = await repo.findById(sql, userId)
      if (!row) throw new NotFoundError('No such user')
      const email = input.email === undefined ? undefined : normaliseEmail(input.email)
      const name = input.name === undefined ? undefined : normaliseName(input.name)
      const changesSecret = (email !== undefined && email !== row.email) || input.password !== undefined
      if (changesSecret) {
        if (!input.currentPassword)
          throw new ValidationFailedError('currentPassword: is required to change the email or password', [
            { field: 'currentPassword', message: 'is required to change the email or password' },
          ])
        // A stolen access token must not become a way to guess the password: limited like logins.
        const limitKey = `password:user:${userId}`
        if (deps.limiter && deps.passwordLimits)
          await deps.limiter.hit(limitKey, { limit: deps.passwordLimits.perEmail, windowMs: deps.passwordLimits.windowMs })
        if (!(await passwords.verify(input.currentPassword, row.passwordHash)))
          throw new UnauthorizedError('The current password is wrong', 'invalid_credentials')
        await deps.limiter?.reset(limitKey)
      }
      if (input.password !== undefined) {
        const weakness = passwordWeakness(input.password, email ?? row.email, name ?? row.name)
        if (weakness) throw new ValidationFailedError(`password: ${weakness}`, [{ field: 'password', message: weakness }])
      }
      const passwordHash = input.password === undefined ? undefined : await passwords.hash(input.password)
      try {
        const updated = await sql.begin(async (tx) => {
          const user = await repo.update(tx, userId, { name, email, passwordHash })
          // A new password signs out every other device.
          if (passwordHash) await sessions.revokeUserSessions(tx, userId, 'password_changed', sessionId)
          return user
        })
        if (!updated) throw new NotFoundError('No such user')
        return toUser(updated)
      } catch (error) {
        if (isUniqueViolation(error, 'users_email_key')) throw new EmailTakenError()
        throw error
      }
    },

    /** Makes sure the admin account of ADMIN_EMAIL exists and has the admin role. */
    async ensureAdmin(emailInput: string, password: string): Promise<void> {
      const email = normaliseEmail(emailInput)
      const existing = await repo.findByEmail(sql, email)
      if (existing) {
        if (existing.role !== 'admin') await repo.update(sql, existing.id, { role: 'admin' })
        log.info('admin account present', { email })
        return
      }
      try {
        await repo.insert(sql, {
          id: Bun.randomUUIDv7(),
          email,
          passwordHash: await passwords.hash(password),
          name: 'Administrator',
          role: 'admin',
        })
        log.info('admin account created', { email })
      } catch (error) {
        // Another instance created it at the same moment: make sure of the role once more.
        if (!isUniqueViolation(error, 'users_email_key')) throw error
        const row = await repo.findByEmail(sql, email)
        if (row && row.role !== 'admin') await repo.update(sql, row.id, { role: 'admin' })
      }
    },
  }
}

export type UsersService = ReturnType<typeof createUsersService>
