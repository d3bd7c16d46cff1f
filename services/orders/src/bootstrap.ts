import { join } from 'node:path'
import type { Sql } from '@shop/shared/data/db'
import type { Logger } from '@shop/shared/runtime/logger'
import { kernel, migrate, type MigrationSource } from '@shop/shared/data/migrate'

export const MIGRATIONS_DIR = join(import.meta.dir, '..', 'migrations')
export const MIGRATIONS: MigrationSource[] = [{ source: 'orders', dir: MIGRATIONS_DIR }, ...kernel('idempotency', 'outbox', 'inbox')]

/** Creates the schema and applies orders' migrations and the kernel tables it uses. */
export async function migrateOrders(sql: Sql, schema: string, log: Logger): Promise<void> {
  const { applied } = await migrate(sql, schema, MIGRATIONS)
  if (applied.length) log.info('migrations applied', { applied })
}
