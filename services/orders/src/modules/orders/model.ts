import { t } from 'elysia'
import { Type } from '@sinclair/typebox'
import { literals } from '@shop/shared/domain/literals'
import { StrictInteger, Uuid } from '@shop/shared/domain/money'
import { CANCEL_REASONS, MAX_ORDER_LINES } from '@shop/shared/domain/contracts'
import { AddressFields, AddressInput } from '@shop/shared/domain/address'
import { HISTORY_EVENTS, STATUSES } from './state.ts'

export const CreateOrder = t.Object(
  {
    items: t.Array(
      t.Object(
        {
          productId: Type.String({ ...Uuid, error: 'must be a UUID' }),
          quantity: StrictInteger({ minimum: 1, maximum: 1000, error: 'must be a whole number from 1 to 1000' }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: MAX_ORDER_LINES, error: `must list 1 to ${MAX_ORDER_LINES} items` },
    ),
    /** Where the goods go; copied onto the order (a later change of the address book does not move it). */
    shippingAddress: Type.Optional(AddressInput),
  },
  { additionalProperties: false },
)
export type CreateOrder = typeof CreateOrder.static


const Status = t.Union(literals(STATUSES))

/** Why an order was cancelled: the contract's list (CANCEL_REASONS), or null. */
const Reason = t.Union([...literals(CANCEL_REASONS), t.Null()])

/** The shipment: carrier and tracking from ship, `deliveredAt` from deliver. */
export const Shipment = t.Object({
  carrier: t.String(),
  trackingNumber: t.String(),
  shippedAt: t.String({ format: 'date-time' }),
  deliveredAt: t.Union([t.String({ format: 'date-time' }), t.Null()]),
})
export type Shipment = typeof Shipment.static

const HistoryEvent = t.Union(literals(HISTORY_EVENTS))

export const HistoryEntry = t.Object({
  seq: t.Integer(),
  event: HistoryEvent,
  status: Status,
  reason: Reason,
  /** On `shipped` and `delivered`: the shipment as it was then (tracking number, times). */
  shipment: t.Union([Shipment, t.Null()]),
  at: t.String({ format: 'date-time' }),
})

export const Order = t.Object({
  id: t.String({ format: 'uuid' }),
  /** The human order number, shown as `#1042`: unique, increasing (gaps are possible). */
  number: t.Integer(),
  userId: t.String({ format: 'uuid' }),
  status: Status,
  /** Why it was cancelled (null unless CANCELLED). */
  reason: Reason,
  items: t.Array(t.Object({ productId: t.String(), name: t.String(), quantity: t.Integer(), unitPrice: t.Integer() })),
  /** Integer minor units of `currency`, fixed when the order was made. */
  total: t.Integer(),
  currency: t.String(),
  /** A paid order's money going back: requested, then refunded. */
  refundStatus: t.Union([t.Literal('requested'), t.Literal('refunded'), t.Null()]),
  shippingAddress: t.Union([AddressFields, t.Null()]),
  /** Null until the order is shipped (and for orders shipped before shipments were recorded). */
  shipment: t.Union([Shipment, t.Null()]),
  /** The customer's return: why, when asked, when the goods came back. */
  return: t.Union([
    t.Object({ reason: t.String(), requestedAt: t.String({ format: 'date-time' }), receivedAt: t.Union([t.String({ format: 'date-time' }), t.Null()]) }),
    t.Null(),
  ]),
  createdAt: t.String({ format: 'date-time' }),
  updatedAt: t.String({ format: 'date-time' }),
  history: t.Array(HistoryEntry),
})
export type Order = typeof Order.static

/** One event of the live stream (GET /api/orders/events, `event: order`): a history entry of order `orderId`. */
export const OrderEvent = t.Object({
  seq: t.Integer(),
  orderId: t.String({ format: 'uuid' }),
  event: HistoryEvent,
  status: Status,
  reason: Reason,
  shipment: t.Union([Shipment, t.Null()]),
  at: t.String({ format: 'date-time' }),
})
export type OrderEvent = typeof OrderEvent.static

export const ListOrdersQuery = t.Object({
  status: t.Optional(t.Union(Status.anyOf, { error: `must be one of ${STATUSES.join(', ')}` })),
  limit: t.Optional(t.Integer({ error: 'must be an integer from 1 to 100' })),
  cursor: t.Optional(t.String({ maxLength: 500 })),
})

export const OrderIdParams = t.Object({ id: t.String({ format: 'uuid', error: 'must be a UUID' }) })

const label = (what: string) => Type.String({ minLength: 1, maxLength: 64, pattern: '\\S', error: `must be 1 to 64 characters (${what})` })

export const ShipOrder = t.Object({ carrier: label('the carrier'), trackingNumber: label('the tracking number') }, { additionalProperties: false })
export type ShipOrder = typeof ShipOrder.static

export const ReturnOrder = t.Object(
  { reason: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S', error: 'must say why, in 1 to 500 characters' }) },
  { additionalProperties: false },
)

export const AdminListOrdersQuery = t.Object({
  status: t.Optional(t.Union(Status.anyOf, { error: `must be one of ${STATUSES.join(', ')}` })),
  /** An order number, with or without its `#`. */
  number: t.Optional(t.String({ pattern: '^#?[0-9]{1,15}$', error: 'must be an order number such as 1042 or #1042' })),
  userId: t.Optional(t.String({ format: 'uuid', error: 'must be a UUID' })),
  limit: t.Optional(t.Integer({ error: 'must be an integer from 1 to 100' })),
  cursor: t.Optional(t.String({ maxLength: 500 })),
})

/**
 * A wallet top-up settled (GET /api/orders/events, `event: wallet`, no id: it is not replayed,
 * since the wallet itself is the truth a client reads on reconnecting). Payments reports it
 * (`top-up.changed`); orders only carries it to the customer's stream.
 */
export const WalletEvent = t.Object({
  topUpId: t.String({ format: 'uuid' }),
  status: t.Union([t.Literal('succeeded'), t.Literal('failed'), t.Literal('canceled')]),
  amount: t.Integer(),
  currency: t.String(),
  demo: t.Boolean(),
})
export type WalletEvent = typeof WalletEvent.static
