/**
 * Inventory: supplies and adjustments of stock on hand, each a movement of the stock ledger
 * written in the transaction that changes the stock, and the reads over it. Stock never goes
 * below what is reserved for unpaid orders (the `reserved <= stock` CHECK stands behind that).
 */
import { AppError, UnprocessableError, ValidationFailedError } from '@shop/shared/http/errors'
import type { Sql } from '@shop/shared/data/db'
import type { Logger } from '@shop/shared/runtime/logger'
import { decodeCursor, pageLimit, toPage } from '@shop/shared/http/pagination'
import {
  DEFAULT_LOW_STOCK_THRESHOLD,
  MAX_LOW_STOCK_THRESHOLD,
  MAX_STOCK,
  type AdjustmentBody,
  type LowStockItem,
  type LowStockQuery,
  type Movement,
  type MovementsQuery,
  type Supply,
  type SupplyBody,
} from './model.ts'
import * as repo from './repository.ts'

export class InsufficientStockError extends AppError<'insufficient_stock'> {
  constructor(product: { name: string; stock: number; reserved: number }, delta: number) {
    super(
      409,
      'insufficient_stock',
      `${product.name} has ${product.stock} on hand, ${product.reserved} of them reserved for unpaid orders: it cannot change by ${delta}`,
    )
  }
}

export class StockLimitError extends AppError<'stock_limit_exceeded'> {
  constructor(names: string[]) {
    super(409, 'stock_limit_exceeded', `Stock may be at most ${MAX_STOCK} units: ${names.join(', ')} would pass it`)
  }
}

/** The admin who asks, and the Idempotency-Key they sent: stored with what it books, so a retry finds it. */
export interface BookedBy {
  adminId: string
  key: string
}

const invalid = (field: string, message: string) => new ValidationFailedError(`${field}: ${message}`, [{ field, message }])

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const isUuid = (v: unknown): v is string => typeof v === 'string' && UUID.test(v)
const isLowStockKey = (v: unknown): v is [number, string, string] =>
  Array.isArray(v) &&
  v.length === 3 &&
  Number.isSafeInteger(v[0]) &&
  typeof v[1] === 'string' &&
  v[1].length <= 200 &&
  !v[1].includes('\u0000') &&
  isUuid(v[2])

export function toMovement(row: repo.MovementRow): Movement {
  return { id: row.id, productId: row.productId, kind: row.kind, delta: row.delta, reference: row.reference, at: row.createdAt.toISOString() }
}

function toSupply(row: repo.SupplyRow): Supply {
  return { id: row.id, reference: row.reference, supplier: row.supplier, items: row.items, createdAt: row.createdAt.toISOString() }
}

/** Same products and quantities, whatever the order of the lists. */
function sameItems(a: { productId: string; quantity: number }[], b: { productId: string; quantity: number }[]): boolean {
  const key = (items: typeof a) => items.map((i) => `${i.productId.toLowerCase()}:${i.quantity}`).sort().join(',')
  return key(a) === key(b)
}

const keyReused = () => new UnprocessableError('idempotency_key_reused', 'This Idempotency-Key was already used with a different request')

export function createInventoryService(deps: { sql: Sql; log: Logger }) {
  const { sql, log } = deps

  return {
    /**
     * Books a delivery: every product's stock rises by its quantity, one `supply` movement each,
     * all in one transaction or nothing. The products are locked in id order first (as
     * reservations lock them), so supplies never deadlock with orders. A retry whose idempotency
     * record was lost (a crash after the commit) answers the supply already booked.
     */
    async supply(input: SupplyBody, by: BookedBy): Promise<Supply> {
      const reference = input.reference.trim()
      const supplier = input.supplier?.trim() ?? null
      if (!reference) throw invalid('reference', 'must not be blank')
      if (supplier === '') throw invalid('supplier', 'must not be blank')
      const items = input.items.map((i) => ({ productId: i.productId.toLowerCase(), quantity: i.quantity }))
      const seen = new Set<string>()
      for (const [index, item] of items.entries()) {
        if (seen.has(item.productId)) throw invalid(`items.${index}.productId`, 'names a product already listed: one line per product')
        seen.add(item.productId)
      }
      const booked = await sql.begin(async (tx) => {
        const earlier = await repo.findSupply(tx, by.adminId, by.key)
        if (earlier) return { created: false, row: earlier }
        const locked = await repo.lockProducts(tx, items.map((i) => i.productId))
        const byId = new Map(locked.map((p) => [p.id, p]))
        const unknown = items.filter((i) => !byId.has(i.productId)).map((i) => i.productId)
        if (unknown.length) throw new UnprocessableError('unknown_product', `Unknown product: ${unknown.join(', ')}`)
        const tooMuch = items.filter((i) => byId.get(i.productId)!.stock + i.quantity > MAX_STOCK).map((i) => byId.get(i.productId)!.name)
        if (tooMuch.length) throw new StockLimitError(tooMuch)
        const created = await repo.insertSupply(tx, { reference, supplier, createdBy: by.adminId, key: by.key, items })
        // A twin with the same key committed between the look-up and the insert: its row is the answer.
        return { created: created !== undefined, row: created ?? (await repo.findSupply(tx, by.adminId, by.key))! }
      })
      if (!booked.created) {
        if (booked.row.reference !== reference || booked.row.supplier !== supplier || !sameItems(booked.row.items, items)) throw keyReused()
        log.warn('supply repeated with its key after its answer was lost: nothing booked twice', { supplyId: booked.row.id })
      } else log.info('supply booked', { supplyId: booked.row.id, products: items.length })
      return toSupply(booked.row)
    },

    /**
     * Changes one product's stock by `delta` (an `adjustment` movement): counted, damaged, found.
     * The stock may not fall below what is reserved for unpaid orders (409 `insufficient_stock`)
     * nor pass MAX_STOCK; nothing is written then.
     */
    async adjust(input: AdjustmentBody, by: BookedBy): Promise<Movement> {
      const reason = input.reason.trim()
      if (!reason) throw invalid('reason', 'must not be blank')
      if (input.delta === 0) throw invalid('delta', 'must not be 0')
      const productId = input.productId.toLowerCase()
      const booked = await sql.begin(async (tx) => {
        const earlier = await repo.findAdjustment(tx, by.adminId, by.key)
        if (earlier) return { created: false, row: earlier }
        const [product] = await repo.lockProducts(tx, [productId])
        if (!product) throw new UnprocessableError('unknown_product', `Unknown product: ${productId}`)
        const stock = product.stock + input.delta
        if (stock < product.reserved) throw new InsufficientStockError(product, input.delta)
        if (stock > MAX_STOCK) throw new StockLimitError([product.name])
        const created = await repo.insertAdjustment(tx, { productId, delta: input.delta, reason, createdBy: by.adminId, key: by.key })
        // A twin with the same key committed between the look-up and the insert: its row is the answer.
        return { created: created !== undefined, row: created ?? (await repo.findAdjustment(tx, by.adminId, by.key))! }
      })
      if (!booked.created) {
        const row = booked.row
        if (row.productId !== productId || row.delta !== input.delta || row.reference !== reason) throw keyReused()
        log.warn('adjustment repeated with its key after its answer was lost: nothing booked twice', { movementId: row.id })
      } else log.info('stock adjusted', { productId, delta: input.delta, movementId: booked.row.id })
      return toMovement(booked.row)
    },

    async movements(query: MovementsQuery) {
      const limit = pageLimit(query.limit)
      const before = decodeCursor(query.cursor, isUuid)
      const rows = await repo.listMovements(sql, { productId: query.productId?.toLowerCase(), kind: query.kind, before, limit: limit + 1 })
      return toPage(rows, limit, toMovement, (row) => row.id)
    },

    /** Active products with at most `threshold` available, fewest first; keyset pages of `limit`. */
    async lowStock(query: LowStockQuery) {
      const threshold = query.threshold ?? DEFAULT_LOW_STOCK_THRESHOLD
      if (!Number.isSafeInteger(threshold) || threshold < 0 || threshold > MAX_LOW_STOCK_THRESHOLD)
        throw invalid('threshold', `must be an integer from 0 to ${MAX_LOW_STOCK_THRESHOLD}`)
      const limit = pageLimit(query.limit)
      const after = decodeCursor(query.cursor, isLowStockKey)
      const rows = await repo.lowStock(sql, threshold, after, limit + 1)
      return toPage(
        rows,
        limit,
        (row): LowStockItem => ({ id: row.id, name: row.name, stock: row.stock, reserved: row.reserved, available: row.available }),
        (row) => [row.available, row.name, row.id],
      )
    },
  }
}

export type InventoryService = ReturnType<typeof createInventoryService>
