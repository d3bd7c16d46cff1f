/**
 * The events that travel between services, each with its payload schema and the queues of the
 * services that consume it. Names are past tense (`payment.requested`: orders has requested a
 * payment). Every producer and consumer takes its types from here; consumers validate payloads
 * against these schemas before handling them.
 */
import { Type as t, type Static, type TSchema } from '@sinclair/typebox'
import { Amount, Currency, Uuid } from './money.ts'

/** One BullMQ queue per consuming service. */
export const QUEUES = ['payments', 'orders', 'catalog', 'reviews'] as const
export type QueueName = (typeof QUEUES)[number]

/**
 * Queues no customer waits on (the catalog's stock commit and release): a producer may hold their
 * events back a little so they travel in fewer, larger jobs.
 */
export const RELAXED_QUEUES: readonly QueueName[] = ['catalog']

// Plain TypeBox, not Elysia's `t`: a payload with "1999" for an amount must fail validation.
const Money = {
  /** Integer minor units, always positive here. */
  amount: Amount(),
  currency: Currency,
}

export const DECLINE_REASONS = ['insufficient_funds', 'no_wallet', 'currency_mismatch'] as const
export type DeclineReason = (typeof DECLINE_REASONS)[number]
export const CANCEL_REASONS = ['insufficient_funds', 'no_wallet', 'out_of_stock', 'user_cancelled', 'timeout', 'currency_mismatch'] as const
export type CancelReason = (typeof CANCEL_REASONS)[number]

/** How a wallet top-up can settle (`top-up.changed`). */
export const TOP_UP_OUTCOMES = ['succeeded', 'failed', 'canceled'] as const

export const REVIEW_CHANGES = ['created', 'edited', 'deleted', 'hidden', 'unhidden'] as const
export type ReviewChange = (typeof REVIEW_CHANGES)[number]

/** The most lines one order holds (orders' model refuses more). */
export const MAX_ORDER_LINES = 50

function event<S extends TSchema, const Q extends readonly QueueName[]>(payload: S, consumers: Q) {
  return { payload, consumers }
}

export const EVENTS = {
  /** Orders asks payments to take the order's total from the user's wallet. */
  'payment.requested': event(t.Object({ orderId: Uuid, userId: Uuid, ...Money }), ['payments']),
  /** Orders asks payments to give a paid order's money back. */
  'refund.requested': event(
    t.Object({ orderId: Uuid, userId: Uuid, ...Money, reason: t.String({ maxLength: 100 }) }),
    ['payments'],
  ),
  /**
   * Orders cancelled the order before it knew of a payment (timeout, the customer): payments must
   * keep no money for it. Taken already: refunded once; not yet: every later request is refused.
   */
  'void.requested': event(
    t.Object({ orderId: Uuid, userId: Uuid, ...Money, reason: t.String({ maxLength: 100 }) }),
    ['payments'],
  ),
  /** The wallet was debited for the order. */
  'payment.succeeded': event(
    t.Object({ orderId: Uuid, userId: Uuid, ...Money, paymentId: Uuid, ledgerEntryId: Uuid }),
    ['orders'],
  ),
  /** The payment could not be taken; nothing was debited. */
  'payment.declined': event(
    t.Object({
      orderId: Uuid,
      userId: Uuid,
      ...Money,
      reason: t.Union(DECLINE_REASONS.map((r) => t.Literal(r))),
    }),
    ['orders'],
  ),
  /** Nothing was taken for the order and nothing will be (the answer to `void.requested` when no money moved). */
  'payment.voided': event(t.Object({ orderId: Uuid, userId: Uuid, ...Money }), ['orders']),
  /** The order's payment was credited back to the wallet. */
  'payment.refunded': event(
    t.Object({ orderId: Uuid, userId: Uuid, ...Money, paymentId: Uuid, ledgerEntryId: Uuid }),
    ['orders'],
  ),
  /**
   * A wallet top-up settled (credited, failed or cancelled): orders pushes it on the customer's
   * live stream (`event: wallet`), so the app shows the new balance when the provider confirms.
   * Nothing is stored for it there; the wallet itself is the truth.
   */
  'top-up.changed': event(
    t.Object({
      topUpId: Uuid,
      userId: Uuid,
      ...Money,
      status: t.Union(TOP_UP_OUTCOMES.map((s) => t.Literal(s))),
      /** True for the demo provider: no real money moved. */
      demo: t.Boolean(),
    }),
    ['orders'],
  ),
  /** The order was paid: the catalog commits its stock reservation. */
  'order.paid': event(t.Object({ orderId: Uuid, userId: Uuid }), ['catalog']),
  /**
   * A customer's return was received: the catalog puts the order's items back in stock (movement
   * `restock`), once. The refund travels separately (`refund.requested`).
   */
  'order.returned': event(t.Object({ orderId: Uuid, userId: Uuid }), ['catalog', 'reviews']),
  /**
   * The order reached its customer: reviews records that the customer received these products
   * (a verified purchase, until the order is returned).
   */
  'order.delivered': event(
    t.Object({ orderId: Uuid, userId: Uuid, items: t.Array(t.Object({ productId: Uuid }), { minItems: 1, maxItems: MAX_ORDER_LINES }) }),
    ['reviews'],
  ),
  /**
   * A review was created, edited, deleted, hidden or unhidden: `rating` is the product's whole
   * rating after the change, over its visible reviews, and `version` counts the product's changes,
   * so the catalog keeps the newest it has seen and a repeated or late event never skews it.
   */
  'review.changed': event(
    t.Object({
      reviewId: Uuid,
      productId: Uuid,
      change: t.Union(REVIEW_CHANGES.map((c) => t.Literal(c))),
      rating: t.Object({
        count: t.Integer({ minimum: 0 }),
        sum: t.Integer({ minimum: 0 }),
        version: t.Integer({ minimum: 1 }),
      }),
    }),
    ['catalog'],
  ),
  /**
   * The order was cancelled: the catalog releases its stock reservation, or, when the order was
   * paid (the reservation committed), puts its items back in stock (movement `restock`), once.
   */
  'order.cancelled': event(
    t.Object({ orderId: Uuid, userId: Uuid, reason: t.Union(CANCEL_REASONS.map((r) => t.Literal(r))) }),
    ['catalog'],
  ),
} as const

export type EventName = keyof typeof EVENTS
export type EventPayload<N extends EventName> = Static<(typeof EVENTS)[N]['payload']>

/** What travels in a BullMQ job: the job's name is `name` and its id is `id`. */
export interface EventEnvelope<N extends EventName = EventName> {
  id: string
  name: N
  payload: EventPayload<N>
  occurredAt: string
  /** The W3C traceparent of the transaction that wrote the event (absent when tracing is off). */
  trace?: string
}

/**
 * The name of a job that carries several events for one queue (`data: { events: EventEnvelope[] }`).
 * The relay sends one when it finds more than one pending event for a queue in a pass, so under
 * load a job, a Redis round trip and a consumer transaction are shared by many events; its job
 * id is a hash of the event ids, so a repeated publish of the same rows is still a no-op.
 */
export const BATCH_JOB = 'batch'

/** The most events one batch job carries. */
export const MAX_BATCH_EVENTS = 100

/** The events routed to `queue`. */
export type EventsFor<Q extends QueueName> = {
  [N in EventName]: Q extends (typeof EVENTS)[N]['consumers'][number] ? N : never
}[EventName]
