import { t } from 'elysia'
import { Type, type TLiteral } from '@sinclair/typebox'
import { StrictInteger, Uuid } from '@shop/shared/domain/money'
import { CANCEL_REASONS } from '@shop/shared/domain/contracts'
import { STATUSES } from './state.ts'

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
      { minItems: 1, maxItems: 50, error: 'must list 1 to 50 items' },
    ),
  },
  { additionalProperties: false },
)
export type CreateOrder = typeof CreateOrder.static

const Status = t.Union([t.Literal('NEW'), t.Literal('PAID'), t.Literal('SHIPPED'), t.Literal('DELIVERED'), t.Literal('CANCELLED')])

/** One literal schema per value of a constant list, as a tuple (so the union's type is the list's). */
const literals = <const T extends readonly string[]>(values: T) => values.map((v) => t.Literal(v)) as { -readonly [K in keyof T]: TLiteral<T[K]> }

/** Why an order was cancelled: the contract's list (CANCEL_REASONS), or null. */
const Reason = t.Union([...literals(CANCEL_REASONS), t.Null()])

export const HistoryEntry = t.Object({
  seq: t.Integer(),
  event: t.String(),
  status: Status,
  reason: Reason,
  at: t.String({ format: 'date-time' }),
})

export const Order = t.Object({
  id: t.String({ format: 'uuid' }),
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
  createdAt: t.String({ format: 'date-time' }),
  updatedAt: t.String({ format: 'date-time' }),
  history: t.Array(HistoryEntry),
})
export type Order = typeof Order.static

/** One event of the live stream (GET /api/orders/events, `event: order`): a history entry of order `orderId`. */
export const OrderEvent = t.Object({
  seq: t.Integer(),
  orderId: t.String({ format: 'uuid' }),
  event: t.String(),
  status: Status,
  reason: Reason,
  at: t.String({ format: 'date-time' }),
})
export type OrderEvent = typeof OrderEvent.static

export const ListOrdersQuery = t.Object({
  status: t.Optional(t.Union(Status.anyOf, { error: `must be one of ${STATUSES.join(', ')}` })),
  limit: t.Optional(t.Integer({ error: 'must be an integer from 1 to 100' })),
  cursor: t.Optional(t.String({ maxLength: 500 })),
})

export const OrderIdParams = t.Object({ id: t.String({ format: 'uuid', error: 'must be a UUID' }) })
