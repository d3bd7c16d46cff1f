/**
 * Stock reservations, the first step of the order saga. Reserve is all or nothing in one
 * transaction with the products locked in id order, so concurrent orders never oversell (and the
 * `reserved <= stock` CHECK stands behind the code). Reserve, commit and release are each
 * idempotent by order id.
 */
import { AppError, ConflictError, NotFoundError, UnprocessableError } from '@shop/shared/http/errors'
import type { Sql, Tx } from '@shop/shared/data/db'
import type { Logger } from '@shop/shared/runtime/logger'
import { MAX_ORDER_TOTAL } from '@shop/shared/domain/money'
import type { Reservation, ReserveBody } from './model.ts'
import * as repo from './repository.ts'

export class OutOfStockError extends AppError<'out_of_stock'> {
  constructor(readonly short: { productId: string; name: string; requested: number; available: number }[]) {
    super(409, 'out_of_stock', `Not enough stock: ${short.map((s) => `${s.name} (${s.available} available, ${s.requested} requested)`).join('; ')}`)
  }
}

/**
 * Runs one statement again when Postgres aborted it to break a deadlock (40P01): the statement
 * is atomic and idempotent by order id, so a retry is safe and the customer sees no 500.
 */
async function withDeadlockRetry<T>(statement: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await statement()
    } catch (error) {
      if (attempt >= attempts || (error as { code?: string }).code !== '40P01') throw error
    }
  }
}

function toReservation(orderId: string, status: repo.ReservationStatus, items: repo.ReservationItemRow[]): Reservation {
  return {
    orderId,
    status,
    items: items.map((i) => ({ productId: i.productId, name: i.name, quantity: i.quantity, unitPrice: i.unitPrice, currency: i.currency })),
    total: items.reduce((sum, i) => sum + i.quantity * i.unitPrice, 0),
    currency: items[0]?.currency ?? null,
  }
}

/** Same products and quantities, whatever the order of the list. */
function sameItems(a: { productId: string; quantity: number }[], b: { productId: string; quantity: number }[]): boolean {
  const key = (items: typeof a) => items.map((i) => `${i.productId}:${i.quantity}`).sort().join(',')
  return key(a) === key(b)
}

/** Merges repeated product ids (quantities add up). */
function merge(items: ReserveBody['items']): { productId: string; quantity: number }[] {
  const byId = new Map<string, number>()
  for (const item of items) byId.set(item.productId.toLowerCase(), (byId.get(item.productId.toLowerCase()) ?? 0) + item.quantity)
  return [...byId].map(([productId, quantity]) => ({ productId, quantity }))
}

async function snapshot(db: Tx | Sql, orderId: string, status: repo.ReservationStatus): Promise<Reservation> {
  return toReservation(orderId, status, await repo.items(db, orderId))
}

/**
 * Commits the order's reservation inside `tx` (the consumer's transaction, or a route's): the
 * stock leaves, a `sale` movement per item. A repeat, or a commit of a reservation restocked since
 * (paid, then cancelled or returned), moves nothing; after a release, refused.
 */
export async function commitIn(tx: Tx, log: Logger, orderIdInput: string): Promise<repo.ReservationStatus> {
  const orderId = orderIdInput.toLowerCase()
  const [found] = await repo.commitMany(tx, [orderId])
  if (!found) throw new NotFoundError('No reservation for this order')
  if (found.status === 'released') throw new ConflictError('The reservation was released; it cannot be committed', 'reservation_released')
  if (found.status === 'reserved') log.info('reservation committed', { orderId })
  return found.status === 'reserved' ? 'committed' : found.status
}

/**
 * Commits, inside `tx`, every still-reserved reservation of `orderIds` in one statement (a batch of
 * `order.paid`); answers the ids it did not commit (a repeat, released, none yet), for `commitIn`
 * to say what became of each.
 */
export async function commitManyIn(tx: Tx, log: Logger, orderIds: string[]): Promise<Set<string>> {
  const wanted = [...new Set(orderIds.map((id) => id.toLowerCase()))]
  const found = await repo.commitMany(tx, wanted)
  const committed = new Set(found.filter((f) => f.status === 'reserved').map((f) => f.orderId))
  if (committed.size) log.info('reservations committed', { orders: committed.size })
  return new Set(wanted.filter((id) => !committed.has(id)))
}

/**
 * Releases the reservation inside `tx`; an unknown order gets a released tombstone, so a
 * reservation that arrives late for it is refused instead of holding stock for a dead order.
 * Answers the status found (undefined when the tombstone was written).
 */
async function releaseOrTombstone(tx: Tx, log: Logger, orderId: string): Promise<repo.ReservationStatus | undefined> {
  let found = await repo.move(tx, orderId, 'release')
  if (!found) {
    if (await repo.insertReservation(tx, orderId, 'released')) {
      log.info('release before any reservation: tombstone written', { orderId })
      return undefined
    }
    // A reservation made meanwhile: release it like any other.
    found = (await repo.move(tx, orderId, 'release'))!
  }
  if (found === 'reserved') log.info('reservation released', { orderId })
  return found
}

/** Releases the order's reservation inside `tx`. Repeating it is harmless; after a commit, refused. */
export async function releaseIn(tx: Tx, log: Logger, orderIdInput: string): Promise<repo.ReservationStatus> {
  const found = await releaseOrTombstone(tx, log, orderIdInput.toLowerCase())
  if (found === 'committed' || found === 'restocked')
    throw new ConflictError('The reservation was committed (the order was paid); it cannot be released', 'reservation_committed')
  return 'released'
}

/**
 * The order ended without keeping its goods (`order.cancelled`, `order.returned`): what its
 * reservation holds comes back, once, inside `tx`. Reserved: released (`reserved` falls; stock
 * never moved). Committed, the order paid: restocked, a `restock` movement per item, and marked
 * so that a repeat does nothing. Already released or restocked: nothing. A cancellation of an
 * unknown order leaves a tombstone (see `releaseOrTombstone`); a return of one is only logged.
 */
export async function giveBackIn(tx: Tx, log: Logger, orderIdInput: string, cause: 'cancelled' | 'returned'): Promise<void> {
  const orderId = orderIdInput.toLowerCase()
  const found = cause === 'cancelled' ? await releaseOrTombstone(tx, log, orderId) : await repo.move(tx, orderId, 'release')
  switch (found) {
    case 'committed':
      // The reservation row is locked by the statement above: still committed.
      await repo.move(tx, orderId, 'restock')
      log.info('stock restocked', { orderId, cause })
      return
    case 'reserved':
      // Returned while the catalog never saw its payment (order.paid lost or late): releasing
      // leaves the stock a sale and a restock would, and the late commit is refused.
      if (cause === 'returned') log.warn('returned order was still reserved: reservation released', { orderId })
      return
    case 'restocked':
      log.info('order already restocked: nothing to do', { orderId, cause })
      return
    case 'released':
      if (cause === 'returned') log.warn('returned order was never committed here: nothing to restock', { orderId })
      return
    case undefined:
      if (cause === 'returned') log.warn('returned order has no reservation here: nothing to restock', { orderId })
      return
  }
}

export function createReservationsService(deps: { sql: Sql; log: Logger }) {
  const { sql, log } = deps

  return {
    /** Reserves every item or none. Returns the reservation and whether this call created it. */
    async reserve(input: ReserveBody): Promise<{ created: boolean; reservation: Reservation }> {
      const orderId = input.orderId.toLowerCase()
      const wanted = merge(input.items)
      const { products, created, existing } = await withDeadlockRetry(() => repo.reserve(sql, orderId, wanted))
      if (existing) return { created: false, reservation: await checkRepeat(sql, orderId, existing, wanted) }
      const byId = new Map(products.map((p) => [p.id, p]))
      if (!created) {
        // Nothing was written: say why, from the products as they were when locked.
        const missing = wanted.filter((i) => !byId.get(i.productId)?.active)
        if (missing.length)
          throw new UnprocessableError('unknown_product', `Unknown or inactive product: ${missing.map((i) => i.productId).join(', ')}`)
        const currencies = new Set(products.map((p) => p.currency))
        if (currencies.size > 1)
          throw new UnprocessableError('mixed_currencies', 'All items of one order must be priced in the same currency')
        const total = wanted.reduce((sum, i) => sum + byId.get(i.productId)!.price * i.quantity, 0)
        if (total > MAX_ORDER_TOTAL)
          throw new UnprocessableError('order_total_too_large', `An order's total may be at most ${MAX_ORDER_TOTAL} minor units; this one is ${total}`)
        const short = wanted
          .map((i) => ({ item: i, product: byId.get(i.productId)! }))
          .filter(({ item, product }) => product.stock - product.reserved < item.quantity)
          .map(({ item, product }) => ({ productId: product.id, name: product.name, requested: item.quantity, available: product.stock - product.reserved }))
        if (short.length) throw new OutOfStockError(short)
        // Every check held, so a concurrent twin (or a release's tombstone) wrote the row first.
        const twin = (await repo.findReservation(sql, orderId))!
        return { created: false, reservation: await checkRepeat(sql, orderId, twin.status, wanted) }
      }
      const items = wanted
        .map((i) => {
          const p = byId.get(i.productId)!
          return { productId: i.productId, name: p.name, quantity: i.quantity, unitPrice: p.price, currency: p.currency }
        })
        .sort((a, b) => (a.productId < b.productId ? -1 : 1))
      log.info('stock reserved', { orderId, items: wanted.length })
      return { created: true, reservation: toReservation(orderId, 'reserved', items) }
    },

    /** The order was paid: the reserved stock leaves. See `commitIn`. */
    commit: (orderId: string) =>
      sql.begin(async (tx) => {
        await repo.lockProductsOf(tx, [orderId.toLowerCase()])
        return snapshot(tx, orderId.toLowerCase(), await commitIn(tx, log, orderId))
      }),

    /** The order was cancelled: the reserved stock returns. See `releaseIn`. */
    release: (orderId: string) =>
      sql.begin(async (tx) => {
        await repo.lockProductsOf(tx, [orderId.toLowerCase()])
        return snapshot(tx, orderId.toLowerCase(), await releaseIn(tx, log, orderId))
      }),

    /**
     * The order ended without keeping its goods (cancelled, returned): what its reservation holds
     * comes back, once (see `giveBackIn`). The orders reconciler calls it for an order whose
     * `order.cancelled` / `order.returned` may have been lost; a repeat does nothing.
     */
    giveBack: (orderId: string, cause: 'cancelled' | 'returned') =>
      sql.begin(async (tx) => {
        await repo.lockProductsOf(tx, [orderId.toLowerCase()])
        await giveBackIn(tx, log, orderId, cause)
      }),

    /** Reservations still reserved after `olderThanSeconds` (their order's outcome may have been lost). */
    async stale(olderThanSeconds: number, limit: number) {
      const rows = await repo.staleReserved(sql, olderThanSeconds, limit)
      return { items: rows.map((r) => ({ orderId: r.orderId, createdAt: r.createdAt.toISOString() })) }
    },

    async get(orderIdInput: string): Promise<Reservation> {
      const orderId = orderIdInput.toLowerCase()
      const existing = await repo.findReservation(sql, orderId)
      if (!existing) throw new NotFoundError('No reservation for this order')
      return snapshot(sql, orderId, existing.status)
    },
  }

  async function checkRepeat(tx: Tx | Sql, orderId: string, status: repo.ReservationStatus, wanted: { productId: string; quantity: number }[]) {
    if (status === 'released')
      throw new ConflictError('This order reservation was released; a new order needs a new id', 'reservation_released')
    const reservation = await snapshot(tx, orderId, status)
    if (!sameItems(reservation.items, wanted))
      throw new ConflictError('This order already reserved other items', 'reservation_mismatch')
    return reservation
  }
}

export type ReservationsService = ReturnType<typeof createReservationsService>
