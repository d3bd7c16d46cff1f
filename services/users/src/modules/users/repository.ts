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
