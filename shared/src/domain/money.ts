/**
 * Strict schemas for money and ids in bodies and messages. Elysia's own `t.Integer` also accepts
 * numeric strings ("1999") and converts them; money is never a string, so these use TypeBox's
 * plain types, which refuse anything but a JSON integer.
 */
import { Type, type IntegerOptions } from '@sinclair/typebox'

/** A JSON integer, never a string or a fraction. */
export function StrictInteger(options: IntegerOptions = {}) {
  return Type.Integer(options)
}

/**
 * Bounds that keep every sum of money exact in a double and in Postgres' bigint (docs/contract.md):
 * 50 items × 1,000 units × the largest price is 5·10^12, far below 2^53.
 */
export const MAX_PRICE = 100_000_000
export const MAX_ORDER_TOTAL = 1_000_000_000

/** A unit price: a positive integer of minor units, at most MAX_PRICE. */
export function Price(options: IntegerOptions = {}) {
  return Type.Integer({ minimum: 1, maximum: MAX_PRICE, ...options })
}

/** A positive amount of integer minor units. */
export function Amount(options: IntegerOptions = {}) {
  return Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, ...options })
}

/** An ISO-4217 currency code. */
export const Currency = Type.String({ pattern: '^[A-Z]{3}$', error: 'must be an ISO-4217 code such as EUR' })

/** A UUID, checked by pattern so it needs no format registry. */
export const Uuid = Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' })
