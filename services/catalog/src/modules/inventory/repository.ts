/**
 * The stock ledger (`stock_movements`, `supplies`). Movements of the order saga are written by
 * the reservations repository and of product creation and PATCH by the products repository, each
 * in the statement that changes the stock; this one writes supplies and adjustments and reads.
 */
import type { Db, Sql } from '@shop/shared/data/db'
import type { MovementKind } from './model.ts'

export interface MovementRow {
  id: string
  productId: string
  kind: MovementKind
  delta: number
  reference: string
  createdAt: Date
}

export interface SupplyRow {
  id: string
  reference: string
  supplier: string | null
  createdAt: Date
  items: { productId: string; quantity: number }[]
}

export interface LockedProduct {
  id: string
  name: string
  stock: number
  reserved: number
}

const MOVEMENT_COLUMNS = 'id, product_id, kind, delta, reference, created_at'

/**
 * Locks the products in id order, the order reservations and the catalog worker lock them in, so
 * a supply never deadlocks with them. Answers those that exist.
 */
export async function lockProducts(db: Db, ids: string[]): Promise<LockedProduct[]> {
  return db<LockedProduct[]>`
    select id, name, stock, reserved from products
    where id = any(${ids}::uuid[])
    order by id
    for update`
}

/** The supply an admin made with `key`, with its items; undefined if none. */
export async function findSupply(db: Db, createdBy: string, key: string): Promise<SupplyRow | undefined> {
  const [row] = await db<SupplyRow[]>`
    select s.id, s.reference, s.supplier, s.created_at,
      coalesce((select json_agg(json_build_object('productId', m.product_id, 'quantity', m.delta) order by m.product_id)
                from stock_movements m where m.supply_id = s.id), '[]') as items
    from supplies s
    where s.created_by = ${createdBy} and s.idempotency_key = ${key}`
  return row
}

/**
 * Books a supply in ONE statement: the supply row, a `supply` movement per item and the stock of
 * each product raised. The caller holds the products locked (`lockProducts`) and has checked
 * they exist. Answers undefined, writing nothing, when `key` already made a supply (a retry).
 */
export async function insertSupply(
  db: Db,
  supply: { reference: string; supplier: string | null; createdBy: string; key: string; items: { productId: string; quantity: number }[] },
): Promise<SupplyRow | undefined> {
  const ids = supply.items.map((i) => i.productId)
  const quantities = supply.items.map((i) => i.quantity)
  const [row] = await db<SupplyRow[]>`
    with supply as (
      insert into supplies (reference, supplier, created_by, idempotency_key)
      values (${supply.reference}, ${supply.supplier}, ${supply.createdBy}, ${supply.key})
      on conflict (created_by, idempotency_key) do nothing
      returning id, reference, supplier, created_at
    ), items as (
      select * from unnest(${ids}::uuid[], ${quantities}::int[]) as i(product_id, quantity)
    ), recorded as (
      insert into stock_movements (product_id, kind, delta, reference, supply_id, created_by)
      select i.product_id, 'supply', i.quantity, s.reference, s.id, ${supply.createdBy}
      from supply s, items i order by i.product_id
    ), raised as (
      update products p set stock = p.stock + i.quantity, updated_at = now()
      from supply s, items i where p.id = i.product_id
    )
    select s.id, s.reference, s.supplier, s.created_at,
      (select json_agg(json_build_object('productId', product_id, 'quantity', quantity) order by product_id) from items) as items
    from supply s`
  return row
}

/** The adjustment an admin made with `key`; undefined if none. */
export async function findAdjustment(db: Db, createdBy: string, key: string): Promise<MovementRow | undefined> {
  const [row] = await db<MovementRow[]>`
    select ${db.unsafe(MOVEMENT_COLUMNS)} from stock_movements
    where created_by = ${createdBy} and idempotency_key = ${key}`
  return row
}

/**
 * Books an adjustment in ONE statement: the movement and the product's stock changed by `delta`.
 * The caller holds the product locked and has checked the new stock. Answers undefined, writing
 * nothing, when `key` already made an adjustment (a retry).
 */
export async function insertAdjustment(
  db: Db,
  adjustment: { productId: string; delta: number; reason: string; createdBy: string; key: string },
): Promise<MovementRow | undefined> {
  const [row] = await db<MovementRow[]>`
    with recorded as (
      insert into stock_movements (product_id, kind, delta, reference, created_by, idempotency_key)
      values (${adjustment.productId}, 'adjustment', ${adjustment.delta}, ${adjustment.reason}, ${adjustment.createdBy}, ${adjustment.key})
      on conflict (created_by, idempotency_key) where idempotency_key is not null do nothing
      returning ${db.unsafe(MOVEMENT_COLUMNS)}
    ), changed as (
      update products p set stock = p.stock + r.delta, updated_at = now()
      from recorded r where p.id = r.product_id
    )
    select * from recorded`
  return row
}

export interface MovementFilter {
  productId?: string
  kind?: MovementKind
  /** The id of the last movement of the previous page. */
  before?: string
  limit: number
}

/** One page of movements, newest first (ids are UUIDv7: id order is time order). */
export async function listMovements(db: Db, f: MovementFilter): Promise<MovementRow[]> {
  const conditions = [db`true`]
  if (f.productId) conditions.push(db`product_id = ${f.productId}`)
  if (f.kind) conditions.push(db`kind = ${f.kind}`)
  if (f.before) conditions.push(db`id < ${f.before}::uuid`)
  const where = conditions.reduce((acc, c) => db`${acc} and ${c}`)
  return db<MovementRow[]>`
    select ${db.unsafe(MOVEMENT_COLUMNS)} from stock_movements
    where ${where}
    order by id desc
    limit ${f.limit}`
}

export interface LowStockRow extends LockedProduct {
  available: number
}

/**
 * Active products whose available stock (stock − reserved) is at most `threshold`, by available
 * then name, keyset-paged after (available, name, id). No index: it reads every product, which
 * is what an admin's restocking list costs.
 */
export async function lowStock(db: Db, threshold: number, after: [number, string, string] | undefined, limit: number): Promise<LowStockRow[]> {
  const keyset = after ? db`and (stock - reserved, name, id) > (${after[0]}::int, ${after[1]}::text, ${after[2]}::uuid)` : db``
  return db<LowStockRow[]>`
    select id, name, stock, reserved, stock - reserved as available from products
    where active and stock - reserved <= ${threshold} ${keyset}
    order by stock - reserved, name, id
    limit ${limit}`
}

/**
 * Products whose stock on hand is not the sum of their movements: none, while every change of
 * stock writes its movement in the transaction that makes it (the contract's invariant). For
 * tests and the chaos run, after the fact; `sql` connected to the catalog's schema.
 */
export async function stockLedgerMismatches(sql: Sql | Db): Promise<{ id: string; stock: number; ledger: number }[]> {
  return [
    ...(await sql<{ id: string; stock: number; ledger: number }[]>`
      select p.id, p.stock, coalesce(m.ledger, 0)::int as ledger
      from products p
      left join (select product_id, sum(delta) as ledger from stock_movements group by product_id) m on m.product_id = p.id
      where p.stock <> coalesce(m.ledger, 0)
      order by p.id`),
  ]
}
