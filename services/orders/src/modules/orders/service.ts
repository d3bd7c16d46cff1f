/**
 * The order saga on the orders side. Creating: the order id is derived from (user,
 * Idempotency-Key), an intent row is committed, the catalog reserves the stock for that id, then
 * one transaction writes the order (NEW, total fixed from the catalog's prices), its history,
 * the `payment.requested` event and drops the intent. A retry after any crash or failure lands
 * on the same id and finds its reservation, so neither stock nor money is taken twice; an intent
 * nobody retries is released by the reconciler after the order timeout. Every later change goes through `applyEvent`: the pure state machine decides, and
 * the history entries and outgoing events are written in the same transaction.
 */
import { createHash } from 'node:crypto'
import { counterOf, type Registry } from '@shop/shared/runtime/metrics'
import type { AuthUser } from '@shop/shared/http/auth'
import type { Sql, Tx } from '@shop/shared/data/db'
import { AppError, ConflictError, NotFoundError, UnprocessableError, ValidationFailedError } from '@shop/shared/http/errors'
import type { Logger } from '@shop/shared/runtime/logger'
import type { IdempotentRoute, OwnedKey } from '@shop/shared/http/idempotency'
import { publish, publishInStatement } from '@shop/shared/messaging/outbox'
import type { OutboxDispatcher } from '@shop/shared/messaging/outbox-dispatcher'
import { decodeCursor, pageLimit, toPage } from '@shop/shared/http/pagination'
import type { CatalogClient } from '../../catalog-client.ts'
import type { CreateOrder, Order, ShipOrder, Shipment } from './model.ts'
import { checkAddress, describeProblems } from '@shop/shared/domain/address'
import * as repo from './repository.ts'
import { IllegalTransitionError, ReturnWindowClosedError, awaiting, sameState, transition, type Awaiting, type OrderEvent, type OrderState, type Status } from './state.ts'

export interface OrdersDeps {
  sql: Sql
  schema: string
  log: Logger
  catalog: CatalogClient
  /** A delivered order may be returned this many days after its delivery (RETURN_WINDOW_DAYS). */
  returnWindowDays: number
  /** Sends the events of committed order changes to BullMQ at once (the relay is the fallback). */
  dispatcher: OutboxDispatcher
  /** The process's registry: orders created are counted there. */
  registry?: Registry
}

/** A UUID (version 8) derived from the user and their Idempotency-Key. */
export function orderIdFor(userId: string, key: string): string {
  const bytes = createHash('sha256').update(`order:${userId}:${key}`).digest().subarray(0, 16)
  bytes[6] = (bytes[6]! & 0x0f) | 0x80
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

function sameItems(items: { productId: string; quantity: number }[], other: { productId: string; quantity: number }[]): boolean {
  const merged = (list: typeof items) => {
    const byId = new Map<string, number>()
    for (const i of list) byId.set(i.productId.toLowerCase(), (byId.get(i.productId.toLowerCase()) ?? 0) + i.quantity)
    return [...byId].map(([id, q]) => `${id}:${q}`).sort().join(',')
  }
  return merged(items) === merged(other)
}

const iso = (date: Date | null) => (date ? date.toISOString() : null)

/** The shipment of a row as the API shows it (null before ship). */
export function shipmentOf(row: repo.OrderRow): Shipment | null {
  return row.carrier && row.trackingNumber && row.shippedAt
    ? { carrier: row.carrier, trackingNumber: row.trackingNumber, shippedAt: row.shippedAt.toISOString(), deliveredAt: iso(row.deliveredAt) }
    : null
}

export async function loadOrders(db: Sql | Tx, rows: repo.OrderRow[]): Promise<Order[]> {
  const ids = rows.map((r) => r.id)
  const [items, history] = await Promise.all([repo.items(db, ids), repo.history(db, ids)])
  return rows.map((row) => ({
    id: row.id,
    number: row.number,
    userId: row.userId,
    status: row.status,
    reason: row.reason,
    items: items.filter((i) => i.orderId === row.id).map(({ productId, name, quantity, unitPrice }) => ({ productId, name, quantity, unitPrice })),
    total: row.total,
    currency: row.currency,
    refundStatus: row.refundStatus,
    shippingAddress: row.shippingAddress,
    shipment: shipmentOf(row),
    return: row.returnReason && row.returnRequestedAt ? { reason: row.returnReason, requestedAt: row.returnRequestedAt.toISOString(), receivedAt: iso(row.returnedAt) } : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    history: history
      .filter((h) => h.orderId === row.id)
      .map((h) => ({ seq: h.seq, event: h.event, status: h.status, reason: h.reason, shipment: h.shipment, at: h.at.toISOString() })),
  }))
}

/** Why money goes back, as refund.requested and void.requested say it (the first ask and every repeat). */
function refundReason(state: OrderState): string {
  return state.reason ?? (state.status === 'RETURNED' ? 'returned' : 'cancelled')
}

/**
 * Applies `event` to the order inside `tx`: state, history, and the events that follow.
 * Returns undefined when the order does not exist.
 */
export async function applyEvent(
  tx: Tx,
  deps: Pick<OrdersDeps, 'schema' | 'log'>,
  orderId: string,
  event: OrderEvent | ((order: repo.OrderRow) => OrderEvent),
  fulfilment: repo.Fulfilment = {},
): Promise<repo.OrderRow | undefined> {
  const order = await repo.lockById(tx, orderId)
  if (!order) return undefined
  const state: OrderState = { status: order.status, reason: order.reason, refundStatus: order.refundStatus, voidStatus: order.voidStatus }
  // An event may depend on the locked row (a return's window runs from the delivery).
  if (typeof event === 'function') event = event(order)
  const result = transition(state, event)
  if (result.history.length === 0 && sameState(state, result.next)) return order
  const [before, after] = [awaiting(state), awaiting(result.next)]
  // The goods of a paid order go back (its reservation committed, or about to be): the order
  // awaits that until the reconciler has it confirmed by the catalog (events may be lost).
  const givesBack = result.effects.includes('restock') || (result.effects.includes('release_stock') && state.status !== 'NEW')
  if (givesBack) fulfilment = { ...fulfilment, restock: true }
  const base = { orderId: order.id, userId: order.userId }
  const money = { amount: order.total, currency: order.currency }
  // A delivery names the order's products (reviews keeps who received what).
  const delivered = result.effects.includes('announce_delivery') ? await repo.items(tx, [order.id]) : []
  const published = result.effects.map((effect) => {
    switch (effect) {
      case 'announce_delivery':
        return publishInStatement(tx, 'order.delivered', { ...base, items: delivered.map((i) => ({ productId: i.productId })) })
      case 'commit_stock':
        return publishInStatement(tx, 'order.paid', base)
      case 'release_stock':
        return publishInStatement(tx, 'order.cancelled', { ...base, reason: result.next.reason! })
      case 'restock':
        return publishInStatement(tx, 'order.returned', base)
      case 'request_refund':
        return publishInStatement(tx, 'refund.requested', { ...base, ...money, reason: refundReason(result.next) })
      case 'void_payment':
        return publishInStatement(tx, 'void.requested', { ...base, ...money, reason: refundReason(result.next) })
    }
  })
  // Reviews hears of a delivery or a return again a timeout later (the reconciler): Redis may lose it.
  const announced: repo.Announcement[] = []
  if (result.effects.includes('announce_delivery')) announced.push('order.delivered')
  if (result.effects.includes('restock')) announced.push('order.returned')
  await Promise.all(announced.map((event) => repo.announceAgainLater(tx, order.id, event)))
  const asking = before === after ? 'keep' : after ? 'now' : 'none'
  const saved = await repo.moveOrder(tx, deps.schema, order.id, order.userId, result.next, asking, fulfilment, result.history, published.map((p) => p.fragment))
  for (const p of published) p.written()
  deps.log.info('order moved', { orderId: order.id, from: order.status, to: result.next.status, event: event.type })
  return saved
}

/**
 * Publishes the order's delivery (with its products) or return again, for the reviews service
 * (the reconciler, a timeout after the first). Returns false when the order is gone.
 */
export async function announceAgain(tx: Tx, orderId: string, event: repo.Announcement): Promise<boolean> {
  const order = await repo.findById(tx, orderId)
  if (!order) return false
  const base = { orderId: order.id, userId: order.userId }
  if (event === 'order.returned') await publish(tx, 'order.returned', base)
  else {
    const items = await repo.items(tx, [order.id])
    await publish(tx, 'order.delivered', { ...base, items: items.map((i) => ({ productId: i.productId })) })
  }
  return true
}

/**
 * Asks payments again for what the order awaits (its payment, the void, a refund) if the answer
 * is overdue, with a new message id; payments answers a decided order with the decision it took
 * and moves no money. Returns what was asked for; null when nothing was (not overdue any more,
 * locked by someone else, or awaiting nothing).
 */
export async function askAgain(tx: Tx, orderId: string, backoff: { firstSeconds: number; maxSeconds: number }): Promise<Awaiting> {
  const order = await repo.lockIfOverdue(tx, orderId, backoff.firstSeconds, backoff.maxSeconds)
  if (!order) return null
  const state: OrderState = { status: order.status, reason: order.reason, refundStatus: order.refundStatus, voidStatus: order.voidStatus }
  const what = awaiting(state)
  if (!what) {
    await repo.saveState(tx, order.id, state, 'none')
    return null
  }
  const request = { orderId: order.id, userId: order.userId, amount: order.total, currency: order.currency }
  const reason = refundReason(state)
  await Promise.all([
    what === 'payment'
      ? publish(tx, 'payment.requested', request)
      : what === 'void'
        ? publish(tx, 'void.requested', { ...request, reason })
        : publish(tx, 'refund.requested', { ...request, reason }),
    repo.markReasked(tx, order.id),
  ])
  return what
}

export function createOrdersService(deps: OrdersDeps) {
  const { sql, log, catalog } = deps
  const createdCount = deps.registry && counterOf(deps.registry, 'shop_orders_created_total', 'Orders created (committed) by this process, by currency', ['currency'])

  /**
   * An answer read in one snapshot: the order row, its items and its history are separate reads,
   * and a payment committed between them answered NEW with a `paid` entry in the history.
   */
  const snapshot = <T>(read: (tx: Tx) => Promise<T>): Promise<T> => sql.begin('isolation level repeatable read read only', read) as Promise<T>

  function one(id: string): Promise<Order> {
    return snapshot(async (tx) => {
      const row = await repo.findById(tx, id)
      if (!row) throw new NotFoundError('No such order')
      return (await loadOrders(tx, [row]))[0]!
    })
  }

  /** The order if the caller may see it; another user's order is a 404, never a 403. */
  async function visible(user: AuthUser, id: string, db: Sql | Tx = sql): Promise<repo.OrderRow> {
    const row = await repo.findById(db, id)
    if (!row || (row.userId !== user.id && user.role !== 'admin')) throw new NotFoundError('No such order')
    return row
  }

  const VERB: Record<OrderEvent['type'], string> = {
    cancel: 'cancelled',
    ship: 'shipped',
    deliver: 'delivered',
    request_return: 'returned',
    receive_return: 'received back',
    payment_succeeded: 'paid',
    payment_declined: 'declined',
    payment_refunded: 'refunded',
    payment_voided: 'voided',
  }

  async function move(user: AuthUser, id: string, event: OrderEvent | ((order: repo.OrderRow) => OrderEvent), fulfilment: repo.Fulfilment = {}): Promise<Order> {
    await visible(user, id)
    try {
      await deps.dispatcher.transaction(sql, (tx) => applyEvent(tx, deps, id, event, fulfilment))
    } catch (error) {
      if (error instanceof IllegalTransitionError)
        throw new ConflictError(`The order is ${error.from}: it cannot be ${VERB[error.event]} now`, 'order_state_conflict')
      if (error instanceof ReturnWindowClosedError) throw new ConflictError(error.message, 'return_window_closed')
      throw error
    }
    return one(id)
  }

  return {
    /** The create route's Idempotency-Key claim also records the order's intent and finds an earlier order of the key. */
    createClaim: {
      claimWith: ({ user, key }) => repo.intentWithClaim(sql, orderIdFor(user.id, key), user.id, key),
    } satisfies IdempotentRoute,

    /**
     * The order of `key`. The statement that claimed the key (with `createClaim`) has committed the
     * intent before the reservation and found `earlierOrderId`, an order this key made before. The
     * answer is recorded under `owned` by the order's own statement: then `recorded` is true.
     */
    async create(
      user: AuthUser,
      input: CreateOrder,
      idempotency: { key: string; earlierOrderId: string | null; owned: OwnedKey },
      requestId?: string,
    ): Promise<{ order: Order; recorded: boolean }> {
      const { key } = idempotency
      const orderId = orderIdFor(user.id, key)
      // The address book's rules (shared/src/domain/address.ts): a 422 names every wrong field.
      const checked = input.shippingAddress ? checkAddress(input.shippingAddress) : undefined
      if (checked?.problems.length) {
        // The key's claim recorded the order's intent: nothing will be reserved for it.
        await repo.deleteIntent(sql, orderId)
        const { detail, errors } = describeProblems(checked.problems, 'shippingAddress.')
        throw new ValidationFailedError(detail, errors)
      }
      const shippingAddress = checked?.fields ?? null
      const existing = idempotency.earlierOrderId
        ? await one(idempotency.earlierOrderId).catch((error) => {
            if (error instanceof NotFoundError) return undefined
            throw error
          })
        : undefined
      if (existing) {
        if (!sameItems(existing.items, input.items))
          throw new UnprocessableError('idempotency_key_reused', 'This Idempotency-Key already made an order with other items')
        return { order: existing, recorded: false }
      }
      let reservation
      try {
        reservation = await catalog.reserve(orderId, input.items, requestId)
      } catch (error) {
        // Refused outright (out of stock, unknown product): nothing was reserved.
        if (error instanceof AppError && error.status < 500) await repo.deleteIntent(sql, orderId)
        throw error
      }
      if (reservation.status !== 'reserved' || !reservation.currency)
        throw new ConflictError('The stock for this order was already released; retry with a new Idempotency-Key', 'reservation_released')
      const items = reservation.items.map(({ productId, name, quantity, unitPrice }) => ({ productId, name, quantity, unitPrice }))
      // Everything the answer holds is written by the order's statement: no read back, and the
      // same statement records it under the Idempotency-Key (times and seq filled in by it).
      const answer = (row: { number: number; createdAt: Date; updatedAt: Date; historySeq: number; historyAt: Date }): Order => ({
        id: orderId,
        number: row.number,
        userId: user.id,
        status: 'NEW',
        reason: null,
        items: [...items].sort((a, b) => (a.productId.toLowerCase() < b.productId.toLowerCase() ? -1 : 1)),
        total: reservation.total,
        currency: reservation.currency!,
        refundStatus: null,
        shippingAddress,
        shipment: null,
        return: null,
        createdAt: row.createdAt.toISOString(),
        updatedAt: row.updatedAt.toISOString(),
        history: [{ seq: row.historySeq, event: 'created', status: 'NEW', reason: null, shipment: null, at: row.historyAt.toISOString() }],
      })
      const epoch = new Date(0)
      let created: Awaited<ReturnType<typeof repo.createOrder>>
      try {
        created = await repo.createOrder(
          sql,
          deps.schema,
          { id: orderId, userId: user.id, status: 'NEW', reason: null, total: reservation.total, currency: reservation.currency, idempotencyKey: key, refundStatus: null, shippingAddress },
          items,
          { orderId, userId: user.id, amount: reservation.total, currency: reservation.currency },
          deps.dispatcher,
          { template: answer({ number: 0, createdAt: epoch, updatedAt: epoch, historySeq: 0, historyAt: epoch }), owned: idempotency.owned },
        )
      } catch (error) {
        // The reservation stays with its intent: a retry with the same key (same order id) finds
        // it and completes the order; if none comes, the reconciler releases it after the timeout.
        log.warn('order write failed after the reservation; kept for a retry', { orderId, error: (error as Error).message })
        throw error
      }
      // A concurrent twin with the same key wrote it first: answer with what it wrote.
      if (!created) return { order: await one(orderId), recorded: false }
      deps.dispatcher.send(created.events)
      createdCount?.inc({ currency: reservation.currency })
      log.info('order created', { orderId, userId: user.id, total: reservation.total, currency: reservation.currency })
      return { order: answer(created.row), recorded: true }
    },

    get(user: AuthUser, id: string): Promise<Order> {
      return snapshot(async (tx) => (await loadOrders(tx, [await visible(user, id, tx)]))[0]!)
    },

    async list(user: AuthUser, query: { status?: Status; limit?: number; cursor?: string }) {
      const limit = pageLimit(query.limit)
      const before = decodeCursor(query.cursor, (v): v is number => Number.isSafeInteger(v))
      return snapshot(async (tx) => {
        const rows = await repo.list(tx, user.id, { status: query.status, before, limit: limit + 1 })
        const page = toPage(rows, limit, (r) => r, (r) => r.createdSeq)
        return { items: await loadOrders(tx, page.items), nextCursor: page.nextCursor }
      })
    },

    /** The owner's list: every customer's orders, newest first; `number` may carry its `#`. */
    async listAll(query: { status?: Status; number?: string; userId?: string; limit?: number; cursor?: string }) {
      const limit = pageLimit(query.limit)
      const before = decodeCursor(query.cursor, (v): v is number => Number.isSafeInteger(v))
      const number = query.number === undefined ? undefined : Number(query.number.replace(/^#/, ''))
      return snapshot(async (tx) => {
        const rows = await repo.listAll(tx, { status: query.status, number, userId: query.userId, before, limit: limit + 1 })
        const page = toPage(rows, limit, (r) => r, (r) => r.number)
        return { items: await loadOrders(tx, page.items), nextCursor: page.nextCursor }
      })
    },

    cancel: (user: AuthUser, id: string) => move(user, id, { type: 'cancel', reason: 'user_cancelled' }),
    ship: (user: AuthUser, id: string, shipment: ShipOrder) =>
      move(user, id, { type: 'ship' }, { shipped: { carrier: shipment.carrier.trim(), trackingNumber: shipment.trackingNumber.trim() } }),
    deliver: (user: AuthUser, id: string) => move(user, id, { type: 'deliver' }, { delivered: true }),

    /** The customer sends a delivered order back (within the window): RETURN_REQUESTED. */
    requestReturn(user: AuthUser, id: string, reason: string): Promise<Order> {
      const now = new Date()
      return move(
        user,
        id,
        (order) => {
          // The customer asks (an admin, who may see the order, receives returns).
          if (order.userId !== user.id) throw new NotFoundError('No such order')
          // Orders delivered before deliveries were timed: their last change was the delivery.
          return { type: 'request_return', deliveredAt: order.deliveredAt ?? order.updatedAt, now, windowDays: deps.returnWindowDays }
        },
        { returnRequested: { reason: reason.trim() } },
      )
    },

    /** The owner received the goods back: RETURNED, refunded once, restocked once. */
    receiveReturn: (user: AuthUser, id: string) => move(user, id, { type: 'receive_return' }, { returned: true }),
  }
}

export type OrdersService = ReturnType<typeof createOrdersService>
