import { t } from 'elysia'
import { Type } from '@sinclair/typebox'
import { StrictInteger, Uuid } from '@shop/shared/domain/money'

/**
 * reserved → committed (paid: the stock left) → restocked (then cancelled or returned: the items
 * came back); reserved → released (cancelled before payment: only `reserved` moved).
 */
export const ReservationStatus = t.Union([t.Literal('reserved'), t.Literal('committed'), t.Literal('released'), t.Literal('restocked')])
export type ReservationStatus = typeof ReservationStatus.static

export const MAX_ITEMS = 50
export const MAX_QUANTITY = 1000

export const ReserveBody = t.Object(
  {
    orderId: Type.String({ ...Uuid, error: 'must be a UUID' }),
    items: t.Array(
      t.Object(
        {
          productId: Type.String({ ...Uuid, error: 'must be a UUID' }),
          quantity: StrictInteger({ minimum: 1, maximum: MAX_QUANTITY, error: `must be a whole number from 1 to ${MAX_QUANTITY}` }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: MAX_ITEMS, error: `must list 1 to ${MAX_ITEMS} items` },
    ),
  },
  { additionalProperties: false },
)
export type ReserveBody = typeof ReserveBody.static

export const Reservation = t.Object({
  orderId: t.String({ format: 'uuid' }),
  status: ReservationStatus,
  items: t.Array(
    t.Object({
      productId: t.String({ format: 'uuid' }),
      name: t.String(),
      quantity: t.Integer(),
      unitPrice: t.Integer(),
      currency: t.String(),
    }),
  ),
  /** Sum of quantity × unitPrice, in minor units of `currency`. */
  total: t.Integer(),
  currency: t.Union([t.String(), t.Null()]),
})
export type Reservation = typeof Reservation.static

export const OrderIdParams = t.Object({ orderId: t.String({ format: 'uuid', error: 'must be a UUID' }) })

export const StaleQuery = t.Object({
  olderThanSeconds: t.Integer({ minimum: 0, maximum: 31_536_000, error: 'must be a whole number of seconds' }),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 500, error: 'must be an integer from 1 to 500' })),
})

export const StaleReservations = t.Object({
  items: t.Array(t.Object({ orderId: t.String({ format: 'uuid' }), createdAt: t.String({ format: 'date-time' }) })),
})

export const GiveBackBody = t.Object(
  { cause: t.Union([t.Literal('cancelled'), t.Literal('returned')], { error: 'must be cancelled or returned' }) },
  { additionalProperties: false },
)
