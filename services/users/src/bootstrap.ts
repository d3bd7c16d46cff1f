/**
 * Start-up work shared by `main.ts` and the tests: migrations, the signing key, the password
 * hasher and the admin account.
 */
import { join } from 'node:path'
import type { Sql } from '@shop/shared/data/db'
import type { Logger } from '@shop/shared/runtime/logger'
import { migrate, type MigrationSource } from '@shop/shared/data/migrate'
import { createPasswordHasher, type PasswordHasher } from './modules/auth/password.ts'
import { loadKeyRing, type KeyRing } from './modules/keys/service.ts'
import { createUsersService } from './modules/users/service.ts'

export const MIGRATIONS_DIR = join(import.meta.dir, '..', 'migrations')
export const MIGRATIONS: MigrationSource[] = [{ source: 'users', dir: MIGRATIONS_DIR }]

export interface BootstrapOptions {
  sql: Sql
  schema: string
  log: Logger
  issuer: string
  audience: string
  accessTtlSeconds: number
  privateKeyPem?: string
  keyId?: string
  admin?: { email: string; password: string }
}

export async function bootstrap(options: BootstrapOptions): Promise<{ keys: KeyRing; passwords: PasswordHasher }> {
  const { applied } = await migrate(options.sql, options.schema, MIGRATIONS)
  if (applied.length) options.log.info('migrations applied', { applied })
  return prepareUsers(options)
}

/** After the migrations: the signing keys, the password hasher and the admin account. */
export async function prepareUsers(options: Omit<BootstrapOptions, 'schema'>): Promise<{ keys: KeyRing; passwords: PasswordHasher }> {
  const [keys, passwords] = await Promise.all([
    loadKeyRing(options.sql, {
      issuer: options.issuer,
      audience: options.audience,
      ttlSeconds: options.accessTtlSeconds,
      privateKeyPem: options.privateKeyPem,
      keyId: options.keyId,
    }),
    createPasswordHasher(),
  ])
  if (options.admin) {
    await createUsersService({ sql: options.sql, passwords, log: options.log }).ensureAdmin(
      options.admin.email,
      options.admin.password,
    )
  }
  return { keys, passwords }
}
