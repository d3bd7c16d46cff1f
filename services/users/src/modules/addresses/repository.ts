import type { Db } from '@shop/shared/data/db'
import type { AddressFields } from '@shop/shared/domain/address'

export type { AddressFields }

export interface AddressRow extends AddressFields {
  id: string
  userId: string
  createdAt: Date
  updatedAt: Date
}

const COLUMNS = 'id, user_id, name, line1, line2, city, region, postal_code, country, phone, created_at, updated_at'

/** The trigger's error when an insert would give its owner more than 20 addresses. */
export const LIMIT_CONSTRAINT = 'addresses_per_user_limit'
export const OWNER_CONSTRAINT = 'addresses_user_id_fkey'

/** The owner's addresses, newest first (ids are UUIDv7). */
export async function listByUser(db: Db, userId: string): Promise<AddressRow[]> {
  return db<AddressRow[]>`select ${db.unsafe(COLUMNS)} from addresses where user_id = ${userId} order by id desc`
}

/** `userId`'s address `id`; undefined when they have no such address (whoever else may). */
export async function findOwned(db: Db, userId: string, id: string): Promise<AddressRow | undefined> {
  const [row] = await db<AddressRow[]>`select ${db.unsafe(COLUMNS)} from addresses where id = ${id} and user_id = ${userId}`
  return row
}

/** Inserts one address; the table's trigger refuses the one past the limit (23514, LIMIT_CONSTRAINT). */
export async function insert(db: Db, address: AddressFields & { id: string; userId: string }): Promise<AddressRow> {
  const [row] = await db<AddressRow[]>`
    insert into addresses (id, user_id, name, line1, line2, city, region, postal_code, country, phone)
    values (${address.id}, ${address.userId}, ${address.name}, ${address.line1}, ${address.line2}, ${address.city},
            ${address.region}, ${address.postalCode}, ${address.country}, ${address.phone})
    returning ${db.unsafe(COLUMNS)}`
  return row!
}

/** Changes the fields given of `userId`'s address `id`; undefined when they have no such address. */
export async function update(db: Db, userId: string, id: string, changes: Partial<AddressFields>): Promise<AddressRow | undefined> {
  const set = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined))
  const [row] = await db<AddressRow[]>`
    update addresses set ${db(set)}, updated_at = now()
    where id = ${id} and user_id = ${userId}
    returning ${db.unsafe(COLUMNS)}`
  return row
}

/** Deletes `userId`'s address `id`; false when they have no such address. */
export async function remove(db: Db, userId: string, id: string): Promise<boolean> {
  const result = await db`delete from addresses where id = ${id} and user_id = ${userId}`
  return result.count > 0
}
