import { join } from 'node:path'
import { kernel, type MigrationSource } from '@shop/shared/data/migrate'

export const MIGRATIONS_DIR = join(import.meta.dir, '..', 'migrations')
export const MIGRATIONS: MigrationSource[] = [{ source: 'reviews', dir: MIGRATIONS_DIR }, ...kernel('outbox', 'inbox')]
