import { t } from 'elysia'
import { Type } from '@sinclair/typebox'
import { literals } from '@shop/shared/domain/literals'
import { StrictInteger, Uuid } from '@shop/shared/domain/money'

/** The kinds of stock movement; the CHECK on `stock_movements.kind` accepts exactly these (tested). */
export const MOVEMENT_KINDS = ['initial', 'supply', 'adjustment', 'sale', 'restock'] as const
export type MovementKind = (typeof MOVEMENT_KINDS)[number]

const kinds = literals(MOVEMENT_KINDS)

/** The most stock a product may hold (the same bound as `stock` in the products API and a CHECK). */
export const MAX_STOCK = 1_000_000_000
export const MAX_SUPPLY_QUANTITY = 1_000_000
export const MAX_SUPPLY_ITEMS = 100
export const MAX_LOW_STOCK_THRESHOLD = 1_000_000
export const DEFAULT_LOW_STOCK_THRESHOLD = 5

export const Movement = t.Object({
  id: t.String({ format: 'uuid' }),
  productId: t.String({ format: 'uuid' }),
  kind: t.Union(kinds),
  /** Signed units of stock on hand: positive in, negative out. */
  delta: t.Integer(),
  /** What it was for: the order id, the supply's reference, the adjustment's reason. */
  reference: t.String(),
  at: t.String({ format: 'date-time' }),
})
export type Movement = typeof Movement.static

const ProductId = Type.String({ ...Uuid, error: 'must be a UUID' })

export const SupplyBody = t.Object(
  {
    reference: t.String({ minLength: 1, maxLength: 100, error: 'must be 1 to 100 characters' }),
    supplier: t.Optional(t.String({ minLength: 1, maxLength: 100, error: 'must be 1 to 100 characters' })),
    items: t.Array(
      t.Object(
        {
          productId: ProductId,
          quantity: StrictInteger({
            minimum: 1,
            maximum: MAX_SUPPLY_QUANTITY,
            error: `must be a whole number from 1 to ${MAX_SUPPLY_QUANTITY}`,
          }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: MAX_SUPPLY_ITEMS, error: `must list 1 to ${MAX_SUPPLY_ITEMS} items` },
    ),
  },
  { additionalProperties: false },
)
export type SupplyBody = typeof SupplyBody.static

export const Supply = t.Object({
  id: t.String({ format: 'uuid' }),
  reference: t.String(),
  supplier: t.Union([t.String(), t.Null()]),
  items: t.Array(t.Object({ productId: t.String({ format: 'uuid' }), quantity: t.Integer() })),
  createdAt: t.String({ format: 'date-time' }),
})
export type Supply = typeof Supply.static

export const AdjustmentBody = t.Object(
  {
    productId: ProductId,
    /** Signed: positive adds stock (found, returned outside an order), negative removes it (damaged, lost). */
    delta: StrictInteger({
      minimum: -MAX_STOCK,
      maximum: MAX_STOCK,
      description: 'non-zero',
      error: `must be a whole number from -${MAX_STOCK} to ${MAX_STOCK}, not 0`,
    }),
    reason: t.String({ minLength: 1, maxLength: 200, error: 'must be 1 to 200 characters' }),
  },
  { additionalProperties: false },
)
export type AdjustmentBody = typeof AdjustmentBody.static

export const MovementsQuery = t.Object({
  productId: t.Optional(t.String({ format: 'uuid', error: 'must be a UUID' })),
  kind: t.Optional(t.Union(kinds, { error: `must be one of ${MOVEMENT_KINDS.join(', ')}` })),
  limit: t.Optional(t.Integer({ error: 'must be an integer from 1 to 100' })),
  cursor: t.Optional(t.String({ maxLength: 500 })),
})
export type MovementsQuery = typeof MovementsQuery.static

export const LowStockQuery = t.Object({
  threshold: t.Optional(
    t.Integer({
      description: `0-${MAX_LOW_STOCK_THRESHOLD}, default ${DEFAULT_LOW_STOCK_THRESHOLD}`,
      error: `must be an integer from 0 to ${MAX_LOW_STOCK_THRESHOLD}`,
    }),
  ),
  limit: t.Optional(t.Integer({ error: 'must be an integer from 1 to 100' })),
  cursor: t.Optional(t.String({ maxLength: 500 })),
})
export type LowStockQuery = typeof LowStockQuery.static

export const LowStockItem = t.Object({
  id: t.String({ format: 'uuid' }),
  name: t.String(),
  stock: t.Integer(),
  reserved: t.Integer(),
  /** stock − reserved: what can still be ordered. */
  available: t.Integer(),
})
export type LowStockItem = typeof LowStockItem.static
