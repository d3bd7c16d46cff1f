import { t } from 'elysia'
import { Type } from '@sinclair/typebox'
import { StrictInteger, Uuid } from '@shop/shared/money'
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

export const HistoryEntry = t.Object({
  seq: t.Integer(),
  event: t.String(),
  status: Status,
  reason: t.Union([t.String(), t.Null()]),
  at: t.String({ format: 'date-time' }),
})

export const Order = t.Object({
  id: t.String({ format: 'uuid' }),
  userId: t.String({ format: 'uuid' }),
  status: Status,
  /** Why it was cancelled: insufficient_funds, no_wallet, user_cancelled, timeout, currency_mismatch. */
  reason: t.Union([t.String(), t.Null()]),
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

export const ListOrdersQuery = t.Object({
  status: t.Optional(t.Union(Status.anyOf, { error: `must be one of ${STATUSES.join(', ')}` })),
  limit: t.Optional(t.Integer({ error: 'must be an integer from 1 to 100' })),
  cursor: t.Optional(t.String({ maxLength: 500 })),
})

export const OrderIdParams = t.Object({ id: t.String({ format: 'uuid', error: 'must be a UUID' }) })
