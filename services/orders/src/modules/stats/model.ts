import { t } from 'elysia'
import { OrderEvent } from '../orders/model.ts'

/** Money of one currency: integer minor units. */
const Amount = t.Object({ currency: t.String(), amount: t.Integer() })

export const StatsWindow = t.Object({
  /** `today` (since midnight in `timeZone`), `7d` and `30d` (today and the 6 or 29 days before). */
  window: t.Union([t.Literal('today'), t.Literal('7d'), t.Literal('30d')]),
  from: t.String({ format: 'date-time' }),
  /** Orders placed in the window, whatever became of them. */
  orders: t.Integer(),
  /** Of those, the ones the wallet paid (including those later refunded or returned). */
  paid: t.Integer(),
  /** Cancelled by the shop before payment: insufficient funds, no wallet, out of stock, another currency, no answer in time. */
  declined: t.Integer(),
  /** Cancelled by the customer. */
  cancelled: t.Integer(),
  /** Money kept per currency: paid orders not refunded nor returned, and their average order value. */
  revenue: t.Array(t.Object({ currency: t.String(), amount: t.Integer(), orders: t.Integer(), averageOrderValue: t.Integer() })),
})

export const StatsDay = t.Object({
  /** The calendar day in `timeZone`, `YYYY-MM-DD`. */
  day: t.String(),
  orders: t.Integer(),
  paid: t.Integer(),
  revenue: t.Array(Amount),
})

export const OrderStats = t.Object({
  timeZone: t.String(),
  windows: t.Array(StatsWindow),
  /** One row per day, oldest first, the last being today; days without orders included. */
  days: t.Array(StatsDay),
})
export type OrderStats = typeof OrderStats.static

export const StatsQuery = t.Object({
  /** An IANA time zone (`Europe/Berlin`) that says where days begin; default UTC. */
  timeZone: t.Optional(t.String({ minLength: 1, maxLength: 64, error: 'must be an IANA time zone such as Europe/Berlin' })),
  /** How many days the daily series covers (1-90, default 30). */
  days: t.Optional(t.Integer({ minimum: 1, maximum: 90, error: 'must be an integer from 1 to 90' })),
})

/** One event of the owner's stream (GET /api/admin/orders/events): a customer's order history entry, with the customer. */
export const AdminOrderEvent = t.Composite([OrderEvent, t.Object({ userId: t.String({ format: 'uuid' }) })])
export type AdminOrderEvent = typeof AdminOrderEvent.static
