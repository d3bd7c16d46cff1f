/**
 * Forward-only migrations in the postgres-shift layout: `migrations/00001_name/index.sql`.
 * All pending migrations run in one transaction under a transaction-scoped advisory lock, so two
 * instances starting at once apply each migration exactly once and a failure leaves nothing half
 * done.
 */
import { readdirSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Sql } from './db.ts'

/** Migrations that belong to the shared kernel, applied in a service's schema when it uses them. */
export const kernelMigrations = {
  idempotency: join(import.meta.dir, '..', '..', 'migrations', 'idempotency'),
  outbox: join(import.meta.dir, '..', '..', 'migrations', 'outbox'),
  inbox: join(import.meta.dir, '..', '..', 'migrations', 'inbox'),
} as const

/** The kernel sources named, in a form `migrate` takes. */
export function kernel(...names: (keyof typeof kernelMigrations)[]): MigrationSource[] {
  return names.map((name) => ({ source: name, dir: kernelMigrations[name] }))
}

/** A folder of numbered migrations, tracked under its own `source` name. */
export interface MigrationSource {
  source: string
  dir: string
}

export interface MigrationResult {
  applied: string[]
}

interface MigrationFile {
  id: number
  name: string
  path: string
}

function listMigrations(dir: string): MigrationFile[] {
  const found: MigrationFile[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue
    const match = /^(\d{5})_([a-z0-9_]+)$/.exec(entry.name)
    if (!match) throw new Error(`Migration folder "${entry.name}" must be named like 00001_create_things`)
    const path = join(dir, entry.name, 'index.sql')
    if (!existsSync(path)) throw new Error(`Migration ${entry.name} has no index.sql`)
    found.push({ id: Number(match[1]), name: match[2]!, path })
  }
  found.sort((a, b) => a.id - b.id)
  found.forEach((m, i) => {
    if (m.id !== i + 1) throw new Error(`Migrations must be numbered 1, 2, 3... without gaps; found ${m.id} at place ${i + 1}`)
  })
  return found
}

/**
 * Creates `schema` if needed and applies the pending migrations of every source, in the order
 * given. Returns the names applied, as `source/00001_name`.
 */
export async function migrate(sql: Sql, schema: string, sources: MigrationSource[]): Promise<MigrationResult> {
  const planned = sources.map((s) => ({ source: s.source, migrations: listMigrations(s.dir) }))
  const applied: string[] = []
  await sql.begin(async (tx) => {
    // One lock per schema: instances of one service wait for each other, other services do not.
    await tx`select pg_advisory_xact_lock(hashtext(${'shop.migrate.' + schema}))`
    await tx`create schema if not exists ${tx(schema)}`
    await tx`
      create table if not exists ${tx(schema)}.schema_migrations (
        source text not null,
        id integer not null,
        name text not null,
        applied_at timestamptz not null default now(),
        primary key (source, id)
      )`
    const done = await tx<{ source: string; id: number }[]>`select source, id from ${tx(schema)}.schema_migrations`
    const doneIds = new Set(done.map((r) => `${r.source}/${r.id}`))
    await tx`set local search_path to ${tx(schema)}, public`
    for (const { source, migrations } of planned) {
      for (const migration of migrations) {
        if (doneIds.has(`${source}/${migration.id}`)) continue
        await tx.file(migration.path)
        await tx`insert into ${tx(schema)}.schema_migrations (source, id, name) values (${source}, ${migration.id}, ${migration.name})`
        applied.push(`${source}/${String(migration.id).padStart(5, '0')}_${migration.name}`)
      }
    }
  })
  return { applied }
}
