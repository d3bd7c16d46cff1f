import { ConflictError, NotFoundError, ValidationFailedError } from '@shop/shared/http/errors'
import type { Sql } from '@shop/shared/data/db'
import type { Logger } from '@shop/shared/runtime/logger'
import { decodeCursor, pageLimit, toPage } from '@shop/shared/http/pagination'
import type { CreateProduct, ListQuery, Product, Sort, UpdateProduct } from './model.ts'
import { ratingAverage } from '@shop/shared/domain/rating'
import { toImage } from '../images/service.ts'
import type { ListCache } from './list-cache.ts'
import * as repo from './repository.ts'

/** One page of the product list, as the API answers it. */
export type ProductPage = { items: Product[]; nextCursor: string | null }

export function toProduct(row: repo.ProductRow): Product {
  const images = row.images.map(toImage)
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    category: row.category,
    price: row.price,
    currency: row.currency,
    imageUrl: images[0]?.url ?? row.imageUrl,
    images,
    active: row.active,
    stock: row.stock,
    available: row.stock - row.reserved,
    rating: { average: ratingAverage(row.ratingSum, row.ratingCount), count: row.ratingCount },
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }
}

/**
 * Turns what a user typed into a prefix tsquery: every word must match, the last letters may
 * still be coming ("lapt" finds "laptop"). Only letters and digits pass, so no tsquery syntax
 * from the user ever reaches Postgres.
 */
export function toTsquery(q: string | undefined): string | undefined {
  const words = q?.toLowerCase().match(/[\p{L}\p{N}]+/gu)?.slice(0, 10)
  return words?.length ? words.map((w) => `${w}:*`).join(' & ') : undefined
}

interface CursorKey {
  s: Sort
  k: unknown[]
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const isUuid = (v: unknown) => typeof v === 'string' && UUID.test(v)

/** Whether `value` is a cursor this list could have made for `sort` (a crafted one must be a 422, not reach SQL). */
function isCursorFor(sort: Sort, value: unknown): value is CursorKey {
  if (typeof value !== 'object' || value === null) return false
  const { s, k } = value as Partial<CursorKey>
  if (s !== sort || !Array.isArray(k)) return false
  switch (sort) {
    case 'relevance':
      return k.length === 2 && typeof k[0] === 'number' && Number.isFinite(k[0]) && isUuid(k[1])
    case 'price':
    case '-price':
      return k.length === 2 && Number.isSafeInteger(k[0]) && isUuid(k[1])
    case 'name':
      return k.length === 2 && typeof k[0] === 'string' && !k[0].includes('\u0000') && k[0].length <= 200 && isUuid(k[1])
    case 'newest':
      return k.length === 1 && isUuid(k[0])
    case 'rating':
      return k.length === 3 && typeof k[0] === 'number' && k[0] >= 0 && k[0] <= 5 && Number.isSafeInteger(k[1]) && (k[1] as number) >= 0 && isUuid(k[2])
  }
}

function keyOf(sort: Sort, row: repo.ProductRow): unknown[] {
  switch (sort) {
    case 'relevance':
      return [row.rank, row.id]
    case 'price':
    case '-price':
      return [row.price, row.id]
    case 'name':
      return [row.name, row.id]
    case 'newest':
      return [row.id]
    case 'rating':
      return [row.ratingScore, row.ratingCount, row.id]
  }
}

const invalid = (field: string, message: string) => new ValidationFailedError(`${field}: ${message}`, [{ field, message }])

export function createProductsService(deps: { sql: Sql; log: Logger; listCache?: ListCache<ProductPage> }) {
  const { sql, log, listCache } = deps

  return {
    /** Active products; the owner's list (`status`) also the inactive ones. */
    async list(query: ListQuery & { status?: 'active' | 'inactive' | 'all' }) {
      const limit = pageLimit(query.limit)
      const tsquery = toTsquery(query.q)
      const sort: Sort = query.sort === 'relevance' && !tsquery ? 'newest' : (query.sort ?? (tsquery ? 'relevance' : 'newest'))
      for (const field of ['minPrice', 'maxPrice'] as const) {
        const value = query[field]
        if (value !== undefined && (value < 0 || !Number.isSafeInteger(value))) throw invalid(field, 'must be a whole number from 0')
      }
      if (query.minPrice !== undefined && query.maxPrice !== undefined && query.minPrice > query.maxPrice)
        throw invalid('minPrice', 'must not be above maxPrice')
      const cursor = decodeCursor(query.cursor, (v): v is CursorKey => isCursorFor(sort, v))
      const category = query.category?.trim() || undefined
      const load = async () => {
        const rows = await repo.list(sql, {
          status: query.status,
          tsquery,
          category,
          minPrice: query.minPrice,
          maxPrice: query.maxPrice,
          sort,
          after: cursor?.k,
          limit: limit + 1,
        })
        return toPage(rows, limit, toProduct, (row): CursorKey => ({ s: sort, k: keyOf(sort, row) }))
      }
      // The shop's list is cached (list-cache.ts); the owner's (inactive or all) is always read.
      if (!listCache || (query.status && query.status !== 'active')) return load()
      const key = JSON.stringify([tsquery, category?.toLowerCase(), query.minPrice, query.maxPrice, sort, cursor?.k, limit])
      const { value: page, cached } = await listCache.get(key, load, (page) => page.items.map((p) => p.id))
      if (!cached || page.items.length === 0) return page
      // Stock moves with every order and sends no NOTIFY (migration 00007): at most 250 ms old.
      const fresh = await listCache.stockOf(page.items.map((p) => p.id), (ids) => repo.stockOf(sql, ids))
      return {
        ...page,
        items: page.items.map((p) => {
          const now = fresh.get(p.id)
          return now ? { ...p, stock: now.stock, available: now.stock - now.reserved, updatedAt: now.updatedAt.toISOString() } : p
        }),
      }
    },

    async get(id: string): Promise<Product> {
      const row = await repo.findById(sql, id)
      if (!row || !row.active) throw new NotFoundError('No such product')
      return toProduct(row)
    },

    /** Any product, active or not (the owner's). */
    async getAny(id: string): Promise<Product> {
      const row = await repo.findById(sql, id)
      if (!row) throw new NotFoundError('No such product')
      return toProduct(row)
    },

    async categories() {
      return { items: await repo.categories(sql), nextCursor: null }
    },

    async currencies() {
      return { items: await repo.currencies(sql), nextCursor: null }
    },

    /** Adds a product; its stock enters the ledger as an `initial` movement by `actorId`. */
    async create(input: CreateProduct, actorId: string): Promise<Product> {
      for (const field of ['name', 'category'] as const) if (!input[field].trim()) throw invalid(field, 'must not be blank')
      const row = await repo.insert(sql, {
        id: Bun.randomUUIDv7(),
        name: input.name.trim(),
        description: input.description?.trim() ?? '',
        category: input.category.trim(),
        price: input.price,
        currency: input.currency,
        imageUrl: input.imageUrl ?? null,
        stock: input.stock,
      }, actorId)
      log.info('product created', { productId: row.id })
      return toProduct(row)
    },

    /**
     * Changes a product. A new `stock` is an `adjustment` movement of the difference (none when
     * it is the same); below what is reserved for unpaid orders it is refused.
     */
    async update(id: string, input: UpdateProduct, actorId: string): Promise<Product> {
      for (const field of ['name', 'category'] as const)
        if (input[field] !== undefined && !input[field]!.trim()) throw invalid(field, 'must not be blank')
      const row = await sql.begin(async (tx) => {
        const current = await repo.lockById(tx, id)
        if (!current) throw new NotFoundError('No such product')
        if (input.stock !== undefined && input.stock < current.reserved)
          throw new ConflictError(
            `Stock cannot go below the ${current.reserved} units reserved for unpaid orders`,
            'stock_below_reserved',
          )
        return repo.update(tx, id, {
          name: input.name?.trim(),
          description: input.description?.trim(),
          category: input.category?.trim(),
          price: input.price,
          currency: input.currency,
          stock: input.stock,
          imageUrl: input.imageUrl,
          active: input.active,
        }, actorId)
      })
      log.info('product updated', { productId: id, fields: Object.keys(input) })
      return toProduct(row!)
    },
  }
}

export type ProductsService = ReturnType<typeof createProductsService>
