import type { Db, Fragment } from '@shop/shared/data/db'
import type { AddressFields } from '@shop/shared/domain/address'
import { traceHeaders } from '@shop/shared/runtime/tracing'
import type { EventPayload } from '@shop/shared/domain/contracts'
import { recordAnswerIn, type OwnedKey } from '@shop/shared/http/idempotency'
import { outboxInsert, type OutboxEvent } from '@shop/shared/messaging/outbox'
import type { OutboxDispatcher } from '@shop/shared/messaging/outbox-dispatcher'
import type { CancelReason, HistoryEvent, OrderState, RefundStatus, Status, VoidStatus } from './state.ts'
import type { WalletEvent } from './model.ts'

export interface OrderRow {
  id: string
  number: number
  createdSeq: number
  userId: string
  status: Status
  reason: CancelReason | null
  total: number
  currency: string
  idempotencyKey: string
  refundStatus: RefundStatus
  voidStatus: VoidStatus
  /** When payments was last asked for what the order awaits; null when it awaits nothing. */
  askedAt: Date | null
  /** How many times payments was asked again (the backoff). */
  reasks: number
  shippingAddress: AddressFields | null
  carrier: string | null
  trackingNumber: string | null
  shippedAt: Date | null
  deliveredAt: Date | null
  returnReason: string | null
  returnRequestedAt: Date | null
  returnedAt: Date | null
  /** A give-back of the goods asked of the catalog (a paid order cancelled or returned), then confirmed. */
  restockStatus: 'requested' | 'confirmed' | null
  restockAskedAt: Date | null
  createdAt: Date
  updatedAt: Date
}

/** Columns an event writes beside the state: the shipment, the return. */
export interface Fulfilment {
  shipped?: { carrier: string; trackingNumber: string }
  delivered?: true
  returnRequested?: { reason: string }
  returned?: true
  /** The goods go back to the catalog (order.cancelled of a paid order, order.returned). */
  restock?: true
}

/** A shipment as the API shows it, in the history too. */
export interface ShipmentJson {
  carrier: string
  trackingNumber: string
  shippedAt: string
  deliveredAt: string | null
}

export interface ItemRow {
  orderId: string
  productId: string
  name: string
  quantity: number
  unitPrice: number
}

export interface HistoryRow {
  userId: string
  seq: number
  orderId: string
  event: HistoryEvent
  status: Status
  reason: CancelReason | null
  shipment: ShipmentJson | null
  at: Date
}

/** The NOTIFY channel that wakes SSE streams. */
export const eventsChannel = (schema: string) => `order_events_${schema}`

/** What a history NOTIFY carries: the user and the entries just appended, in seq order (or a wallet notice instead). */
export interface HistoryNotification {
  u: string
  /** The traceparent of the transaction that appended the entries (tracing on): the push continues it. */
  t?: string | null
  e: { seq: number; orderId: string; event: HistoryEvent; status: Status; reason: CancelReason | null; shipment: ShipmentJson | null; at: string }[]
  /** A wallet top-up settled (`walletNotice`): pushed as `event: wallet`, with no entries. */
  w?: WalletEvent
}

/** Tells the user's streams on every instance that a top-up settled (at commit, like the history's notifications). */
export async function walletNotice(db: Db, schema: string, userId: string, notice: WalletEvent): Promise<void> {
  const payload: HistoryNotification = { u: userId, t: traceHeaders().traceparent ?? null, e: [], w: notice }
  await db`select pg_notify(${eventsChannel(schema)}, ${JSON.stringify(payload)})`
}

/**
 * The NOTIFY payload (a `HistoryNotification` as JSON) built from the `appended` CTE of the
 * statement it is used in: streams send the entries straight from it instead of reading them.
 */
function notification(db: Db, userId: string) {
  return db`json_build_object('u', ${userId}::text, 't', ${traceHeaders().traceparent ?? null}::text, 'e', (
    select json_agg(json_build_object('seq', seq, 'orderId', order_id, 'event', event, 'status', status, 'reason', reason, 'shipment', shipment, 'at', at) order by seq)
    from appended))::text`
}

export async function findById(db: Db, id: string): Promise<OrderRow | undefined> {
  const [row] = await db<OrderRow[]>`select * from orders where id = ${id}`
  return row
}

export async function lockById(db: Db, id: string): Promise<OrderRow | undefined> {
  const [row] = await db<OrderRow[]>`select * from orders where id = ${id} for update`
  return row
}

/** What `createOrder` records as the request's answer: `template` with the times and seq written. */
export interface CreatedAnswer {
  /** The answer as the caller will send it; `createdAt`, `updatedAt` and `history[0]` are filled in here. */
  template: object
  /** The Idempotency-Key the request owns, under which the answer is recorded (status 202). */
  owned: OwnedKey
}

/** An ISO 8601 UTC string with milliseconds, as `Date.toISOString` writes it, as jsonb. */
const isoJson = (db: Db, column: Fragment) => db`to_jsonb(to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`

/**
 * A new order in ONE statement (so one round trip and no explicit transaction): the order and its
 * items, the first history entry (seq from the user's stream row, NOTIFY at commit), the
 * `payment.requested` event in the outbox (left to `dispatcher`, which the caller hands `events`
 * once this returns a row), the intent dropped, and with `answer` the request's answer recorded
 * under its Idempotency-Key. Nothing is written if the order exists already (a retry got here
 * first): then undefined.
 *
 * With `intentWithClaim` (in the statement that claims the key) this is the whole write path of
 * POST /api/orders: two statements and two commits where there were four (the key's claim, the
 * intent, the order, the key's answer) before round 4 of docs/performance.md; measured then:
 * orders API 0.72 → 0.54-0.63 ms and Postgres 2.43 → 2.02-2.20 ms of CPU per order.
 */
export async function createOrder(
  db: Db,
  schema: string,
  order: Pick<OrderRow, 'id' | 'userId' | 'status' | 'reason' | 'total' | 'currency' | 'idempotencyKey' | 'refundStatus' | 'shippingAddress'>,
  items: Omit<ItemRow, 'orderId'>[],
  payment: EventPayload<'payment.requested'>,
  dispatcher: OutboxDispatcher,
  answer?: CreatedAnswer,
): Promise<{ row: OrderRow & { historySeq: number; historyAt: Date }; events: OutboxEvent[] } | undefined> {
  const whenInserted = db`where exists (select 1 from inserted)`
  const outbox = outboxInsert(db, 'payment.requested', payment, whenInserted, dispatcher)
  const answerBody = answer && db`(
    select jsonb_set(jsonb_set(jsonb_set(jsonb_set(jsonb_set(${db.json(answer.template as never)}::jsonb,
             '{createdAt}', ${isoJson(db, db`inserted.created_at`)}), '{updatedAt}', ${isoJson(db, db`inserted.updated_at`)}),
             '{history,0,at}', ${isoJson(db, db`appended.at`)}), '{history,0,seq}', to_jsonb(appended.seq)), '{number}', to_jsonb(inserted.number))
    from inserted, appended)`
  const rows = await db<(OrderRow & { historySeq: number; historyAt: Date })[]>`
    with inserted as (
      insert into orders (id, user_id, status, reason, total, currency, idempotency_key, refund_status, shipping_address)
      values (${order.id}, ${order.userId}, ${order.status}, ${order.reason}, ${order.total}, ${order.currency},
              ${order.idempotencyKey}, ${order.refundStatus}, ${order.shippingAddress === null ? null : db.json(order.shippingAddress as never)})
      on conflict do nothing
      returning *
    ), items as (
      insert into order_items (order_id, product_id, name, quantity, unit_price)
      select inserted.id, i.product_id, i.name, i.quantity, i.unit_price
      from inserted, jsonb_to_recordset(${db.json(items.map((i) => ({ product_id: i.productId, name: i.name, quantity: i.quantity, unit_price: i.unitPrice })) as never)}) as i(product_id uuid, name text, quantity int, unit_price bigint)
    ), stream as (
      insert into order_streams (user_id, last_seq) select user_id, 1 from inserted
      on conflict (user_id) do update set last_seq = order_streams.last_seq + 1
      returning last_seq
    ), appended as (
      insert into order_history (user_id, seq, order_id, event, status, reason)
      select ${order.userId}, stream.last_seq, ${order.id}, 'created', ${order.status}, null from stream
      returning *
    ), published as (
      ${outbox.fragment}
    ), intent as (
      delete from order_intents where order_id = ${order.id} and exists (select 1 from inserted)
    )${answer ? db`, answered as (${recordAnswerIn(db, answer.owned, 202, answerBody!, db`exists (select 1 from inserted)`)})` : db``}
    select inserted.*, appended.seq as history_seq, appended.at as history_at,
           pg_notify(${eventsChannel(schema)}, ${notification(db, order.userId)})
    from inserted, appended`
  return rows[0] && { row: rows[0], events: outbox.events }
}

/**
 * How a state change affects asking payments again: `keep` (the order awaits what it awaited),
 * `now` (it awaits something new, asked for in the same transaction), `none` (it awaits nothing).
 */
export type Asking = 'keep' | 'now' | 'none'

export async function saveState(db: Db, id: string, state: OrderState, asking: Asking): Promise<void> {
  await db`update orders set ${stateColumns(db, state, asking, {})} where id = ${id}`
}

/** The SET list of a state change: the state, what it awaits of payments, and what `fulfilment` records. */
function stateColumns(db: Db, state: OrderState, asking: Asking, fulfilment: Fulfilment) {
  const { shipped, delivered, returnRequested, returned, restock } = fulfilment
  return db`status = ${state.status}, reason = ${state.reason}, refund_status = ${state.refundStatus},
      void_status = ${state.voidStatus}, updated_at = now()
      ${asking === 'keep' ? db`` : db`, asked_at = ${asking === 'now' ? db`now()` : null}, reasks = 0`}
      ${shipped ? db`, carrier = ${shipped.carrier}, tracking_number = ${shipped.trackingNumber}, shipped_at = now()` : db``}
      ${delivered ? db`, delivered_at = now()` : db``}
      ${returnRequested ? db`, return_reason = ${returnRequested.reason}, return_requested_at = now()` : db``}
      ${returned ? db`, returned_at = now()` : db``}
      ${restock ? db`, restock_status = 'requested', restock_asked_at = now()` : db``}`
}

/**
 * A state change of order `id` in ONE statement: the row (state, `fulfilment`), the entries
 * appended to the user's history (seqs from the user's stream row, whose lock is held to the end
 * of the transaction, so a reader never sees seq N+1 before N is committed; a shipment's or a
 * delivery's entry carries the shipment as this statement wrote it; NOTIFY sent at commit, never
 * for a rolled-back change) and `events`, the outbox inserts the change publishes
 * (`publishInStatement`). One statement where there were three (update, append, publish) for
 * every event an order takes.
 */
export async function moveOrder(
  db: Db,
  schema: string,
  id: string,
  userId: string,
  state: OrderState,
  asking: Asking,
  fulfilment: Fulfilment,
  entries: { event: HistoryEvent; status: Status; reason: CancelReason | null }[],
  events: Fragment[],
): Promise<OrderRow> {
  const rows = entries.map((e, i) => ({ offset: i, event: e.event, status: e.status, reason: e.reason }))
  const history = entries.length > 0 && db`, stream as (
      insert into order_streams (user_id, last_seq) values (${userId}, ${entries.length})
      on conflict (user_id) do update set last_seq = order_streams.last_seq + ${entries.length}
      returning last_seq
    ), appended as (
      insert into order_history (user_id, seq, order_id, event, status, reason, shipment)
      select ${userId}, stream.last_seq - ${entries.length} + 1 + e.offset, saved.id, e.event, e.status, e.reason,
             case when e.event in ('shipped', 'delivered') and saved.carrier is not null then
               jsonb_build_object('carrier', saved.carrier, 'trackingNumber', saved.tracking_number,
                 'shippedAt', ${isoJson(db, db`saved.shipped_at`)}, 'deliveredAt', ${isoJson(db, db`saved.delivered_at`)}) end
      from stream, saved, jsonb_to_recordset(${db.json(rows as never)}) as e("offset" int, event text, status text, reason text)
      returning *
    )`
  const [row] = await db<OrderRow[]>`
    with saved as (
      update orders set ${stateColumns(db, state, asking, fulfilment)} where id = ${id} returning *
    )${history || db``}${events.reduce((all, event, i) => db`${all}, ${db(`published_${i}`)} as (${event})`, db``)}
    select saved.*${history ? db`, pg_notify(${eventsChannel(schema)}, ${notification(db, userId)})` : db``} from saved`
  return row!
}

/** Payments was asked again for what the order awaits: the backoff moves on. */
export async function markReasked(db: Db, id: string): Promise<void> {
  await db`update orders set asked_at = now(), reasks = reasks + 1 where id = ${id}`
}

export async function items(db: Db, orderIds: string[]): Promise<ItemRow[]> {
  if (orderIds.length === 0) return []
  return db<ItemRow[]>`select * from order_items where order_id = any(${orderIds}::uuid[]) order by order_id, product_id`
}

export async function history(db: Db, orderIds: string[]): Promise<HistoryRow[]> {
  if (orderIds.length === 0) return []
  return db<HistoryRow[]>`select * from order_history where order_id = any(${orderIds}::uuid[]) order by seq`
}

export async function historySince(db: Db, userId: string, afterSeq: number, limit: number): Promise<HistoryRow[]> {
  return db<HistoryRow[]>`
    select * from order_history where user_id = ${userId} and seq > ${afterSeq} order by seq limit ${limit}`
}

export async function lastSeq(db: Db, userId: string): Promise<number> {
  const [row] = await db<{ lastSeq: number }[]>`select last_seq from order_streams where user_id = ${userId}`
  return row?.lastSeq ?? 0
}

/**
 * A page of every customer's orders (the owner's lists), newest first, keyset on the order number
 * (it follows creation; its unique index serves the list, the shipping queue's partial index the
 * paid orders and returns to receive).
 */
export async function listAll(
  db: Db,
  filter: { status?: Status; number?: number; userId?: string; before?: number; limit: number },
): Promise<OrderRow[]> {
  return db<OrderRow[]>`
    select * from orders
    where true
      ${filter.status ? db`and status = ${filter.status}` : db``}
      ${filter.number !== undefined ? db`and number = ${filter.number}` : db``}
      ${filter.userId ? db`and user_id = ${filter.userId}` : db``}
      ${filter.before !== undefined ? db`and number < ${filter.before}` : db``}
    order by number desc
    limit ${filter.limit}`
}

/** A page of the user's orders, newest first, keyset on the creation sequence. */
export async function list(db: Db, userId: string, filter: { status?: Status; before?: number; limit: number }): Promise<OrderRow[]> {
  return db<OrderRow[]>`
    select * from orders
    where user_id = ${userId}
      ${filter.status ? db`and status = ${filter.status}` : db``}
      ${filter.before !== undefined ? db`and created_seq < ${filter.before}` : db``}
    order by created_seq desc
    limit ${filter.limit}`
}

/**
 * For the statement that claims the Idempotency-Key (`ClaimWith`): records the intent to create
 * `orderId` (a no-op if it exists) and looks up the id of the order this user's key already made.
 */
export function intentWithClaim(db: Db, orderId: string, userId: string, key: string): { write: Fragment; lookup: Fragment } {
  return {
    write: db`insert into order_intents (order_id, user_id) select ${orderId}, ${userId} from claimed on conflict do nothing`,
    lookup: db`(select id from orders where user_id = ${userId} and idempotency_key = ${key})`,
  }
}

export async function deleteIntent(db: Db, orderId: string): Promise<void> {
  await db`delete from order_intents where order_id = ${orderId}`
}

/** Intents older than `seconds` whose order was never written. */
export async function staleIntents(db: Db, seconds: number, limit: number, skip: string[] = []): Promise<{ orderId: string }[]> {
  return db<{ orderId: string }[]>`
    select i.order_id from order_intents i
    where i.created_at < now() - ${seconds} * interval '1 second'
      and not exists (select 1 from orders o where o.id = i.order_id)
      ${skip.length ? db`and i.order_id <> all(${skip}::uuid[])` : db``}
    order by i.created_at
    limit ${limit}`
}

/** Orders still NEW after `seconds` (every NEW order awaits its payment: the awaiting index finds them). */
export async function staleNew(db: Db, seconds: number, limit: number, skip: string[] = []): Promise<{ id: string }[]> {
  return db<{ id: string }[]>`
    select id from orders
    where asked_at is not null and status = 'NEW' and created_at < now() - ${seconds} * interval '1 second'
      ${skip.length ? db`and id <> all(${skip}::uuid[])` : db``}
    order by created_at
    limit ${limit}`
}

/**
 * Orders whose answer from payments is overdue: last asked `firstSeconds` × 2^reasks ago (at
 * most `maxSeconds`), oldest first.
 */
export async function overdue(db: Db, firstSeconds: number, maxSeconds: number, limit: number, skip: string[] = []): Promise<{ id: string }[]> {
  return db<{ id: string }[]>`
    select id from orders
    where asked_at is not null
      and asked_at + least(${firstSeconds} * power(2, least(reasks, 30)), ${maxSeconds}) * interval '1 second' <= now()
      ${skip.length ? db`and id <> all(${skip}::uuid[])` : db``}
    order by asked_at
    limit ${limit}`
}

/**
 * The order if its answer from payments is overdue (see `overdue`) and no one else holds its lock
 * (a consumer applying that answer right now, another reconciler): locked until the transaction
 * ends. Undefined otherwise.
 */
export async function lockIfOverdue(db: Db, id: string, firstSeconds: number, maxSeconds: number): Promise<OrderRow | undefined> {
  const [row] = await db<OrderRow[]>`
    select * from orders
    where id = ${id} and asked_at is not null
      and asked_at + least(${firstSeconds} * power(2, least(reasks, 30)), ${maxSeconds}) * interval '1 second' <= now()
    for update skip locked`
  return row
}

/** Orders whose give-back of goods was asked `seconds` ago or more and is not confirmed, oldest first. */
export async function restocksOverdue(db: Db, seconds: number, limit: number, skip: string[] = []): Promise<{ id: string; status: Status }[]> {
  return db<{ id: string; status: Status }[]>`
    select id, status from orders
    where restock_status = 'requested' and restock_asked_at < now() - ${seconds} * interval '1 second'
      ${skip.length ? db`and id <> all(${skip}::uuid[])` : db``}
    order by restock_asked_at
    limit ${limit}`
}

/** The catalog confirmed the give-back. */
export async function confirmRestock(db: Db, id: string): Promise<void> {
  await db`update orders set restock_status = 'confirmed' where id = ${id} and restock_status = 'requested'`
}

export type Announcement = 'order.delivered' | 'order.returned'

/** The order's `event` was published now: to be published once more a timeout later (migration 00006). */
export async function announceAgainLater(db: Db, orderId: string, event: Announcement): Promise<void> {
  await db`insert into announcements (order_id, event) values (${orderId}, ${event}) on conflict (order_id, event) do nothing`
}

/** Announcements made more than `seconds` ago, oldest first. */
export async function dueAnnouncements(db: Db, seconds: number, limit: number, skip: string[] = []): Promise<{ orderId: string; event: Announcement }[]> {
  return db<{ orderId: string; event: Announcement }[]>`
    select order_id, event from announcements
    where announced_at < now() - ${seconds} * interval '1 second' ${skip.length ? db`and order_id <> all(${skip}::uuid[])` : db``}
    order by announced_at limit ${limit}`
}

/** Takes the announcement (locked: another worker's pass skips it); false when it is gone or taken. */
export async function takeAnnouncement(db: Db, orderId: string, event: Announcement): Promise<boolean> {
  const rows = await db`
    delete from announcements where (order_id, event) in (
      select order_id, event from announcements where order_id = ${orderId} and event = ${event} for update skip locked)
    returning 1`
  return rows.length > 0
}

/** For each order of `ids` that exists: its status. */
export async function fates(db: Db, ids: string[]): Promise<{ id: string; status: Status }[]> {
  if (ids.length === 0) return []
  return db<{ id: string; status: Status }[]>`select id, status from orders where id = any(${ids}::uuid[])`
}

/** The ids of `ids` that have an intent (an order being created). */
export async function intentsOf(db: Db, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return []
  const rows = await db<{ orderId: string }[]>`select order_id from order_intents where order_id = any(${ids}::uuid[])`
  return rows.map((r) => r.orderId)
}
