import type { Db } from '@shop/shared/db'

export type ReservationStatus = 'reserved' | 'committed' | 'released'

export interface ReservationItemRow {
  productId: string
  name: string
  quantity: number
  unitPrice: number
  currency: string
}

export interface StockRow {
  id: string
  name: string
  active: boolean
  stock: number
  reserved: number
  price: number
  currency: string
}

export async function lockReservation(db: Db, orderId: string): Promise<{ status: ReservationStatus } | undefined> {
  const [row] = await db<{ status: ReservationStatus }[]>`select status from reservations where order_id = ${orderId} for update`
  return row
}

export async function findReservation(db: Db, orderId: string): Promise<{ status: ReservationStatus } | undefined> {
  const [row] = await db<{ status: ReservationStatus }[]>`select status from reservations where order_id = ${orderId}`
  return row
}

export async function items(db: Db, orderId: string): Promise<ReservationItemRow[]> {
  return db<ReservationItemRow[]>`
    select i.product_id, p.name, i.quantity, i.unit_price, i.currency
    from reservation_items i join products p on p.id = i.product_id
    where i.order_id = ${orderId}
    order by i.product_id`
}

/** Locks the products in id order (a fixed order, so concurrent reservations cannot deadlock). */
export async function lockProducts(db: Db, ids: string[]): Promise<StockRow[]> {
  return db<StockRow[]>`
    select id, name, active, stock, reserved, price, currency from products
    where id = any(${ids}::uuid[])
    order by id
    for update`
}

/** Inserts the reservation; false if the order already has one (a concurrent twin won). */
export async function insertReservation(db: Db, orderId: string, status: ReservationStatus): Promise<boolean> {
  const rows = await db`
    insert into reservations (order_id, status) values (${orderId}, ${status})
    on conflict (order_id) do nothing
    returning 1`
  return rows.length === 1
}

export async function insertItems(db: Db, orderId: string, rows: Omit<ReservationItemRow, 'name'>[]): Promise<void> {
  await db`insert into reservation_items ${db(rows.map((r) => ({ orderId, ...r })), 'orderId', 'productId', 'quantity', 'unitPrice', 'currency')}`
}

/** Moves stock for every item of the order: reserve (+), release (-), or commit (stock leaves). */
export async function applyToProducts(db: Db, orderId: string, move: 'reserve' | 'release' | 'commit'): Promise<void> {
  if (move === 'reserve')
    await db`update products p set reserved = p.reserved + i.quantity, updated_at = now()
             from reservation_items i where i.order_id = ${orderId} and p.id = i.product_id`
  else if (move === 'release')
    await db`update products p set reserved = p.reserved - i.quantity, updated_at = now()
             from reservation_items i where i.order_id = ${orderId} and p.id = i.product_id`
  else
    await db`update products p set stock = p.stock - i.quantity, reserved = p.reserved - i.quantity, updated_at = now()
             from reservation_items i where i.order_id = ${orderId} and p.id = i.product_id`
}

export async function setStatus(db: Db, orderId: string, status: ReservationStatus): Promise<void> {
  await db`update reservations set status = ${status}, updated_at = now() where order_id = ${orderId}`
}
