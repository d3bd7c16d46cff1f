import type { Db } from '@shop/shared/data/db'
import type { Role } from '@shop/shared/http/auth'

export interface UserRow {
  id: string
  email: string
  passwordHash: string
  name: string
  role: Role
  createdAt: Date
  updatedAt: Date
}

export async function findById(db: Db, id: string): Promise<UserRow | undefined> {
  const [row] = await db<UserRow[]>`select * from users where id = ${id}`
  return row
}

export async function findByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  const [row] = await db<UserRow[]>`select * from users where email = ${email}`
  return row
}

export async function insert(
  db: Db,
  user: { id: string; email: string; passwordHash: string; name: string; role: Role },
): Promise<UserRow> {
  const [row] = await db<UserRow[]>`
    insert into users (id, email, password_hash, name, role)
    values (${user.id}, ${user.email}, ${user.passwordHash}, ${user.name}, ${user.role})
    returning *`
  return row!
}

export async function update(
  db: Db,
  id: string,
  changes: { name?: string; email?: string; passwordHash?: string; role?: Role },
): Promise<UserRow | undefined> {
  const [row] = await db<UserRow[]>`
    update users set
      name = coalesce(${changes.name ?? null}, name),
      email = coalesce(${changes.email ?? null}, email),
      password_hash = coalesce(${changes.passwordHash ?? null}, password_hash),
      role = coalesce(${changes.role ?? null}, role),
      updated_at = now()
    where id = ${id}
    returning *`
  return row
}

export type UserListRow = Pick<UserRow, 'id' | 'email' | 'name' | 'role' | 'createdAt'>

/** `text` matched literally by LIKE: its own wildcards and the escape character escaped. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`)
}

/**
 * Users whose email or name starts with `prefix` (any case), newest first (ids are UUIDv7),
 * after the id `before`. The prefix, its wildcards escaped, is matched by `lower(x) like
 * lower('prefix%')`, which the two text_pattern_ops indexes of 00006_users_prefix_search serve (a
 * BitmapOr of two range scans). Returned unrun (it runs when awaited), so a test can EXPLAIN it.
 */
export function search(db: Db, f: { prefix?: string; before?: string; limit: number }) {
  const conditions = []
  if (f.prefix) {
    const pattern = `${escapeLike(f.prefix)}%`
    conditions.push(db`(lower(email) like lower(${pattern}) escape '\\' or lower(name) like lower(${pattern}) escape '\\')`)
  }
  if (f.before) conditions.push(db`id < ${f.before}::uuid`)
  const where = conditions.length ? db`where ${conditions.reduce((acc, c) => db`${acc} and ${c}`)}` : db``
  return db<UserListRow[]>`
    select id, email, name, role, created_at from users
    ${where}
    order by id desc
    limit ${f.limit}`
}
