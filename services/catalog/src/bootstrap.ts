import { join } from 'node:path'
import type { Sql } from '@shop/shared/data/db'
import type { Logger } from '@shop/shared/runtime/logger'
import { kernel, migrate, type MigrationSource } from '@shop/shared/data/migrate'

export const MIGRATIONS_DIR = join(import.meta.dir, '..', 'migrations')
export const MIGRATIONS: MigrationSource[] = [{ source: 'catalog', dir: MIGRATIONS_DIR }, ...kernel('idempotency', 'inbox')]

/** Creates the schema and applies catalog's migrations and the kernel tables it uses. */
export async function migrateCatalog(sql: Sql, schema: string, log: Logger): Promise<void> {
  const { applied } = await migrate(sql, schema, MIGRATIONS)
  if (applied.length) log.info('migrations applied', { applied })
}
