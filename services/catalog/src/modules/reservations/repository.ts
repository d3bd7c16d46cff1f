import type { Db } from '@shop/shared/data/db'
import { MAX_ORDER_TOTAL } from '@shop/shared/domain/money'
import type { ReservationStatus } from './model.ts'

export type { ReservationStatus }

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

/**
 * A reservation in ONE statement (no explicit transaction): the products are locked in id order,
 * and only if the order has no reservation yet, every product is active, all share one currency,
 * the total is at most MAX_ORDER_TOTAL (summed as numeric: exact whatever the prices) and each has
 * the quantity free, the reservation, its items and the products' `reserved` are written. Answers the locked products (current values) with `created` (1 if this call wrote it)
 * and the status of a reservation that existed before; with no product found, one row of nulls.
 */
export async function reserve(
  db: Db,
  orderId: string,
  wanted: { productId: string; quantity: number }[],
): Promise<{ products: StockRow[]; created: boolean; existing: ReservationStatus | null }> {
  const ids = wanted.map((w) => w.productId)
  const rows = await db<(StockRow & { created: number; existingStatus: ReservationStatus | null })[]>`
    with wanted as (
      select * from unnest(${ids}::uuid[], ${wanted.map((w) => w.quantity)}::int[]) as w(product_id, quantity)
    ), existing as (
      select status from reservations where order_id = ${orderId}
    ), locked as (
      select id, name, active, stock, reserved, price, currency from products
      where id = any(${ids}::uuid[])
      order by id
      for update
    ), checked as (
      select not exists (select 1 from existing)
         and (select count(*) from locked where active) = ${ids.length}
         and (select count(distinct currency) from locked) = 1
         and (select sum(l.price::numeric * w.quantity) from locked l join wanted w on w.product_id = l.id) <= ${MAX_ORDER_TOTAL}
         and not exists (select 1 from locked l join wanted w on w.product_id = l.id where l.stock - l.reserved < w.quantity) as ok
    ), created as (
      insert into reservations (order_id, status) select ${orderId}, 'reserved' from checked where ok
      on conflict (order_id) do nothing
      returning order_id
    ), items as (
      insert into reservation_items (order_id, product_id, quantity, unit_price, currency)
      select created.order_id, l.id, w.quantity, l.price, l.currency from created, locked l join wanted w on w.product_id = l.id
    ), moved as (
      update products p set reserved = p.reserved + w.quantity, updated_at = now()
      from created, wanted w where p.id = w.product_id
    )
    select l.*, (select count(*)::int from created) as created, (select status from existing) as existing_status
    from (select 1) one left join locked l on true`
  return {
    products: rows.filter((r) => r.id !== null).map(({ id, name, active, stock, reserved, price, currency }) => ({ id, name, active, stock, reserved, price, currency })),
    created: rows[0]!.created === 1,
    existing: rows[0]!.existingStatus,
  }
}

/** Inserts the reservation; false if the order already has one (a concurrent twin won). */
export async function insertReservation(db: Db, orderId: string, status: ReservationStatus): Promise<boolean> {
  const rows = await db`
    insert into reservations (order_id, status) values (${orderId}, ${status})
    on conflict (order_id) do nothing
    returning 1`
  return rows.length === 1
}

/** What `move` does to a reservation, from the status it must have, to the status it leaves. */
const MOVES = {
  /** Cancelled before payment: `reserved` falls, stock never moved. */
  release: { from: 'reserved', to: 'released', movement: null },
  /** Paid, then cancelled or returned: the goods are back (`stock` rises, a `restock` movement per item). */
  restock: { from: 'committed', to: 'restocked', movement: { kind: 'restock', sign: 1 } },
} as const satisfies Record<string, { from: ReservationStatus; to: ReservationStatus; movement: { kind: 'sale' | 'restock'; sign: 1 | -1 } | null }>
export type Move = keyof typeof MOVES

function stockChange(db: Db, move: Move) {
  switch (move) {
    case 'release':
      return db`reserved = p.reserved - i.quantity`
    case 'restock':
      return db`stock = p.stock + i.quantity`
  }
}

/**
 * Releases or restocks the order's reservation in ONE statement (commits: `commitMany`): the reservation row is
 * locked and, only if it is still in the status the move starts from, the stock of every item
 * moves, each change of stock on hand writes its movement (`sale`, `restock`; a release changes
 * only `reserved` and writes none) and the status changes. Answers the status it found (before
 * the move), undefined without a reservation (then nothing is written).
 */
export async function move(db: Db, orderId: string, move: Move): Promise<ReservationStatus | undefined> {
  const { from, to, movement } = MOVES[move]
  const [row] = await db<{ status: ReservationStatus }[]>`
    with found as (
      select status from reservations where order_id = ${orderId} for update
    ), moved as (
      update products p
      set ${stockChange(db, move)}, updated_at = now()
      from reservation_items i
      where i.order_id = ${orderId} and p.id = i.product_id and (select status from found) = ${from}
      returning p.id, i.quantity
    )${movement ? db`, recorded as (
      insert into stock_movements (product_id, kind, delta, reference, order_id)
      select id, ${movement.kind}, ${movement.sign} * quantity, ${orderId}, ${orderId}::uuid
      from moved order by id
    )` : db``}, marked as (
      update reservations set status = ${to}, updated_at = now()
      where order_id = ${orderId} and (select status from found) = ${from}
    )
    select status from found`
  return row?.status
}

/**
 * Commits every still-reserved reservation of `orderIds` in ONE statement (the catalog worker's
 * batch of `order.paid`): the stock of all their items leaves (summed per product), a `sale`
 * movement per item, the reservations marked committed. One statement instead of one per order
 * keeps the batch's product locks (taken first, in id order, by the worker) for a shorter time:
 * the API's reservations wait on them. Answers each reservation found with the status it had;
 * only the `reserved` ones were moved.
 */
export async function commitMany(db: Db, orderIds: string[]): Promise<{ orderId: string; status: ReservationStatus }[]> {
  return db<{ orderId: string; status: ReservationStatus }[]>`
    with found as (
      select order_id, status from reservations where order_id = any(${orderIds}::uuid[]) order by order_id for update
    ), sold as (
      select i.order_id, i.product_id, i.quantity from reservation_items i join found f on f.order_id = i.order_id
      where f.status = 'reserved'
    ), moved as (
      update products p set stock = p.stock - x.quantity, reserved = p.reserved - x.quantity, updated_at = now()
      from (select product_id, sum(quantity)::int as quantity from sold group by product_id) x
      where p.id = x.product_id
    ), recorded as (
      insert into stock_movements (product_id, kind, delta, reference, order_id)
      select sold.product_id, 'sale', -sold.quantity, sold.order_id::text, sold.order_id from sold order by sold.order_id, sold.product_id
    ), marked as (
      update reservations r set status = 'committed', updated_at = now()
      from found f where r.order_id = f.order_id and f.status = 'reserved'
    )
    select order_id, status from found`
}

/** Reservations still reserved after `olderThanSeconds`, oldest first. */
export async function staleReserved(db: Db, olderThanSeconds: number, limit: number): Promise<{ orderId: string; createdAt: Date }[]> {
  return db<{ orderId: string; createdAt: Date }[]>`
    select order_id, created_at from reservations
    where status = 'reserved' and created_at < now() - ${olderThanSeconds} * interval '1 second'
    order by created_at
    limit ${limit}`
}

/**
 * Locks the products of the orders' reservations in id order, the order `reserve` locks them in,
 * so that a transaction committing or releasing several reservations (a batch of events, a
 * reservation of several products) never deadlocks with a concurrent reservation.
 */
export async function lockProductsOf(db: Db, orderIds: string[], productIds: string[] = []): Promise<void> {
  if (orderIds.length === 0 && productIds.length === 0) return
  await db`
    select p.id from products p
    where p.id in (select product_id from reservation_items where order_id = any(${orderIds}::uuid[])
                   union all select unnest(${productIds}::uuid[]))
    order by p.id
    for update of p`
}
