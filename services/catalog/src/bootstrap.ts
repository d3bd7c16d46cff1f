import { join } from 'node:path'
import type { Sql } from '@shop/shared/data/db'
import type { Logger } from '@shop/shared/runtime/logger'
import { kernel, migrate } from '@shop/shared/data/migrate'

export const MIGRATIONS_DIR = join(import.meta.dir, '..', 'migrations')

/** Creates the schema and applies catalog's migrations and the kernel tables it uses. */
export async function migrateCatalog(sql: Sql, schema: string, log: Logger): Promise<void> {
  const { applied } = await migrate(sql, schema, [{ source: 'catalog', dir: MIGRATIONS_DIR }, ...kernel('inbox')])
  if (applied.length) log.info('migrations applied', { applied })
}
