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
import type { AuthUser } from '@shop/shared/http/auth'
import type { Sql, Tx } from '@shop/shared/data/db'
import { AppError, ConflictError, NotFoundError, UnprocessableError } from '@shop/shared/http/errors'
import type { Logger } from '@shop/shared/runtime/logger'
import type { IdempotentRoute, OwnedKey } from '@shop/shared/http/idempotency'
import { publish } from '@shop/shared/messaging/outbox'
import type { OutboxDispatcher } from '@shop/shared/messaging/outbox-dispatcher'
import { decodeCursor, pageLimit, toPage } from '@shop/shared/http/pagination'
import type { CatalogClient } from '../../catalog-client.ts'
import type { CreateOrder, Order } from './model.ts'
import * as repo from './repository.ts'
import { IllegalTransitionError, awaiting, sameState, transition, type Awaiting, type OrderEvent, type OrderState, type Status } from './state.ts'

export interface OrdersDeps {
  sql: Sql
  schema: string
  log: Logger
  catalog: CatalogClient
  /** Sends the events of committed order changes to BullMQ at once (the relay is the fallback). */
  dispatcher: OutboxDispatcher
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

export async function loadOrders(db: Sql | Tx, rows: repo.OrderRow[]): Promise<Order[]> {
  const ids = rows.map((r) => r.id)
  const [items, history] = await Promise.all([repo.items(db, ids), repo.history(db, ids)])
  return rows.map((row) => ({
    id: row.id,
    userId: row.userId,
    status: row.status,
    reason: row.reason,
    items: items.filter((i) => i.orderId === row.id).map(({ productId, name, quantity, unitPrice }) => ({ productId, name, quantity, unitPrice })),
    total: row.total,
    currency: row.currency,
    refundStatus: row.refundStatus,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    history: history
      .filter((h) => h.orderId === row.id)
      .map((h) => ({ seq: h.seq, event: h.event, status: h.status, reason: h.reason, at: h.at.toISOString() })),
  }))
}

/**
 * Applies `event` to the order inside `tx`: state, history, and the events that follow.
 * Returns undefined when the order does not exist.
 */
export async function applyEvent(tx: Tx, deps: Pick<OrdersDeps, 'schema' | 'log'>, orderId: string, event: OrderEvent): Promise<repo.OrderRow | undefined> {
  const order = await repo.lockById(tx, orderId)
  if (!order) return undefined
  const state: OrderState = { status: order.status, reason: order.reason, refundStatus: order.refundStatus, voidStatus: order.voidStatus }
  const result = transition(state, event)
  if (result.history.length === 0 && sameState(state, result.next)) return order
  const [before, after] = [awaiting(state), awaiting(result.next)]
  const base = { orderId: order.id, userId: order.userId }
  const money = { amount: order.total, currency: order.currency }
  // Independent statements of one transaction, sent together.
  const [saved] = await Promise.all([
    repo.saveState(tx, order.id, result.next, before === after ? 'keep' : after ? 'now' : 'none'),
    repo.appendHistory(tx, deps.schema, order.userId, order.id, result.history),
    ...result.effects.map((effect) => {
      switch (effect) {
        case 'commit_stock':
          return publish(tx, 'order.paid', base)
        case 'release_stock':
          return publish(tx, 'order.cancelled', { ...base, reason: result.next.reason! })
        case 'request_refund':
          return publish(tx, 'refund.requested', { ...base, ...money, reason: result.next.reason ?? 'cancelled' })
        case 'void_payment':
          return publish(tx, 'void.requested', { ...base, ...money, reason: result.next.reason ?? 'cancelled' })
      }
    }),
  ])
  deps.log.info('order moved', { orderId: order.id, from: order.status, to: result.next.status, event: event.type })
  return saved
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
  const reason = order.reason ?? 'cancelled'
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

  async function one(id: string): Promise<Order> {
    const row = await repo.findById(sql, id)
    if (!row) throw new NotFoundError('No such order')
    return (await loadOrders(sql, [row]))[0]!
  }

  /** The order if the caller may see it; another user's order is a 404, never a 403. */
  async function visible(user: AuthUser, id: string): Promise<repo.OrderRow> {
    const row = await repo.findById(sql, id)
    if (!row || (row.userId !== user.id && user.role !== 'admin')) throw new NotFoundError('No such order')
    return row
  }

  async function move(user: AuthUser, id: string, event: OrderEvent): Promise<Order> {
    await visible(user, id)
    try {
      await deps.dispatcher.transaction(sql, (tx) => applyEvent(tx, deps, id, event))
    } catch (error) {
      if (error instanceof IllegalTransitionError)
        throw new ConflictError(`The order is ${error.from}: it cannot be ${event.type === 'cancel' ? 'cancelled' : event.type === 'ship' ? 'shipped' : 'delivered'} now`, 'order_state_conflict')
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
      const existing = idempotency.earlierOrderId ? await repo.findById(sql, idempotency.earlierOrderId) : undefined
      if (existing) {
        const [order] = await loadOrders(sql, [existing])
        if (!sameItems(order!.items, input.items))
          throw new UnprocessableError('idempotency_key_reused', 'This Idempotency-Key already made an order with other items')
        return { order: order!, recorded: false }
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
      const answer = (row: { createdAt: Date; updatedAt: Date; historySeq: number; historyAt: Date }): Order => ({
        id: orderId,
        userId: user.id,
        status: 'NEW',
        reason: null,
        items: [...items].sort((a, b) => (a.productId.toLowerCase() < b.productId.toLowerCase() ? -1 : 1)),
        total: reservation.total,
        currency: reservation.currency!,
        refundStatus: null,
        createdAt: row.createdAt.toISOString(),
        updatedAt: row.updatedAt.toISOString(),
        history: [{ seq: row.historySeq, event: 'created', status: 'NEW', reason: null, at: row.historyAt.toISOString() }],
      })
      const epoch = new Date(0)
      let created: Awaited<ReturnType<typeof repo.createOrder>>
      try {
        created = await repo.createOrder(
          sql,
          deps.schema,
          { id: orderId, userId: user.id, status: 'NEW', reason: null, total: reservation.total, currency: reservation.currency, idempotencyKey: key, refundStatus: null },
          items,
          { orderId, userId: user.id, amount: reservation.total, currency: reservation.currency },
          deps.dispatcher,
          { template: answer({ createdAt: epoch, updatedAt: epoch, historySeq: 0, historyAt: epoch }), owned: idempotency.owned },
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
      log.info('order created', { orderId, userId: user.id, total: reservation.total, currency: reservation.currency })
      return { order: answer(created.row), recorded: true }
    },

    async get(user: AuthUser, id: string): Promise<Order> {
      return (await loadOrders(sql, [await visible(user, id)]))[0]!
    },

    async list(user: AuthUser, query: { status?: Status; limit?: number; cursor?: string }) {
      const limit = pageLimit(query.limit)
      const before = decodeCursor(query.cursor, (v): v is number => Number.isSafeInteger(v))
      const rows = await repo.list(sql, user.id, { status: query.status, before, limit: limit + 1 })
      const page = toPage(rows, limit, (r) => r, (r) => r.createdSeq)
      return { items: await loadOrders(sql, page.items), nextCursor: page.nextCursor }
    },

    cancel: (user: AuthUser, id: string) => move(user, id, { type: 'cancel', reason: 'user_cancelled' }),
    ship: (user: AuthUser, id: string) => move(user, id, { type: 'ship' }),
    deliver: (user: AuthUser, id: string) => move(user, id, { type: 'deliver' }),
  }
}

export type OrdersService = ReturnType<typeof createOrdersService>
