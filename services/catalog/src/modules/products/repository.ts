import type { Db } from '@shop/shared/data/db'
import type { ImageMeta } from '../images/repository.ts'
import type { Sort } from './model.ts'

export interface ProductRow {
  id: string
  name: string
  description: string
  category: string
  price: number
  currency: string
  imageUrl: string | null
  active: boolean
  stock: number
  reserved: number
  ratingCount: number
  ratingSum: number
  /** The average to one decimal, 0 while unrated: the sort key of `rating`. */
  ratingScore: number
  /** The product's images in order (no bytes). */
  images: ImageMeta[]
  createdAt: Date
  updatedAt: Date
  /** Present when searching: the ts_rank of the row. */
  rank?: number
}

const COLUMNS = 'id, name, description, category, price, currency, image_url, active, stock, reserved, rating_count, rating_sum::int, rating_score::float8, created_at, updated_at'

export async function findById(db: Db, id: string): Promise<ProductRow | undefined> {
  const [row] = await db<ProductRow[]>`select ${db.unsafe(COLUMNS)} from products where id = ${id}`
  return row && (await withImages(db, [row]))[0]
}

/**
 * Inserts the product and, in the same statement, its `initial` stock movement (none for a stock
 * of 0: the ledger holds no zero movements), so its stock equals its ledger from the start.
 */
export async function insert(
  db: Db,
  product: Omit<ProductRow, 'createdAt' | 'updatedAt' | 'reserved' | 'active' | 'ratingCount' | 'ratingSum' | 'ratingScore' | 'images'>,
  actorId: string | null,
): Promise<ProductRow> {
  const [row] = await db<ProductRow[]>`
    with inserted as (
      insert into products (id, name, description, category, price, currency, image_url, stock)
      values (${product.id}, ${product.name}, ${product.description}, ${product.category}, ${product.price},
              ${product.currency}, ${product.imageUrl}, ${product.stock})
      returning ${db.unsafe(COLUMNS)}
    ), initial as (
      insert into stock_movements (product_id, kind, delta, reference, created_by)
      select id, 'initial', stock, 'product created', ${actorId} from inserted where stock > 0
    )
    select *, '[]'::json as images from inserted`
  return row!
}

export async function lockById(db: Db, id: string): Promise<ProductRow | undefined> {
  const [row] = await db<ProductRow[]>`select ${db.unsafe(COLUMNS)} from products where id = ${id} for update`
  return row && (await withImages(db, [row]))[0]
}

/**
 * Changes the product. A change of `stock` writes its `adjustment` movement (delta = new − old,
 * reference `product update`) in the same statement; the caller holds the row locked, so `old`
 * is the stock the change replaces.
 */
export async function update(
  db: Db,
  id: string,
  changes: Partial<Omit<ProductRow, 'id' | 'createdAt' | 'updatedAt' | 'reserved' | 'ratingCount' | 'ratingSum' | 'ratingScore' | 'images'>>,
  actorId: string | null,
): Promise<ProductRow | undefined> {
  const set = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined))
  const [row] = await db<ProductRow[]>`
    with old as (
      select stock from products where id = ${id}
    ), updated as (
      update products set ${db(set)}, updated_at = now()
      where id = ${id}
      returning ${db.unsafe(COLUMNS)}
    ), adjusted as (
      insert into stock_movements (product_id, kind, delta, reference, created_by)
      select u.id, 'adjustment', u.stock - old.stock, 'product update', ${actorId}
      from updated u, old where u.stock <> old.stock
    )
    select * from updated`
  return row && (await withImages(db, [row]))[0]
}

export interface ListFilter {
  /** Which products: the active ones (the shop's, the default), the inactive ones, or all (the owner's). */
  status?: 'active' | 'inactive' | 'all'
  /** A tsquery in to_tsquery syntax, already built from the user's words. */
  tsquery?: string
  category?: string
  minPrice?: number
  maxPrice?: number
  sort: Sort
  /** The sort key of the last row of the previous page. */
  after?: unknown[]
  limit: number
}

/** One page of products (active ones unless `status` says), keyset-paginated on (sort key, id). */
export async function list(db: Db, f: ListFilter): Promise<ProductRow[]> {
  const query = f.tsquery ? db`to_tsquery('english', ${f.tsquery})` : undefined
  const conditions = [f.status === 'all' ? db`true` : f.status === 'inactive' ? db`not active` : db`active`]
  if (query) conditions.push(db`search @@ ${query}`)
  if (f.category) conditions.push(db`lower(category) = lower(${f.category})`)
  if (f.minPrice !== undefined) conditions.push(db`price >= ${f.minPrice}`)
  if (f.maxPrice !== undefined) conditions.push(db`price <= ${f.maxPrice}`)

  const rank = query ? db`ts_rank(search, ${query})` : db`0::real`
  const after = f.after
  let order
  switch (f.sort) {
    case 'relevance':
      if (after) conditions.push(db`(${rank}, id) < (${after[0] as number}::real, ${after[1] as string}::uuid)`)
      order = db`${rank} desc, id desc`
      break
    case 'price':
      if (after) conditions.push(db`(price, id) > (${after[0] as number}, ${after[1] as string}::uuid)`)
      order = db`price asc, id asc`
      break
    case '-price':
      if (after) conditions.push(db`(price, id) < (${after[0] as number}, ${after[1] as string}::uuid)`)
      order = db`price desc, id desc`
      break
    case 'name':
      if (after) conditions.push(db`(name, id) > (${after[0] as string}, ${after[1] as string}::uuid)`)
      order = db`name asc, id asc`
      break
    case 'rating':
      if (after)
        conditions.push(db`(rating_score, rating_count, id) < (${after[0] as number}::numeric, ${after[1] as number}, ${after[2] as string}::uuid)`)
      order = db`rating_score desc, rating_count desc, id desc`
      break
    case 'newest':
      // Ids are UUIDv7: id order is creation order.
      if (after) conditions.push(db`id < ${after[0] as string}::uuid`)
      order = db`id desc`
      break
  }
  const where = conditions.reduce((acc, c) => db`${acc} and ${c}`)
  const rows = await db<ProductRow[]>`
    select ${db.unsafe(COLUMNS)}, ${rank} as rank
    from products p
    where ${where}
    order by ${order}
    limit ${f.limit}`
  return withImages(db, rows)
}

/** What every order changes of these products: read fresh for a page served from the list cache. */
export async function stockOf(db: Db, ids: string[]): Promise<{ id: string; stock: number; reserved: number; updatedAt: Date }[]> {
  return db<{ id: string; stock: number; reserved: number; updatedAt: Date }[]>`
    select id, stock, reserved, updated_at from products where id = any(${ids}::uuid[])`
}

/**
 * `rows` with their images (ids and sizes, never bytes), read in one query for all of them (as a
 * column of the list's query, a JSON array per row cost the search 27 % of its requests/s: bun run
 * bench:catalog-search).
 */
async function withImages(db: Db, rows: ProductRow[]): Promise<ProductRow[]> {
  if (rows.length === 0) return rows
  const images = await db<(ImageMeta & { productId: string })[]>`
    select product_id, id, width, height, thumbnail_width, thumbnail_height from product_images
    where product_id = any(${rows.map((r) => r.id)}::uuid[])
    order by product_id, position, id`
  const byProduct = new Map<string, ImageMeta[]>()
  for (const { productId, ...image } of images) {
    const list = byProduct.get(productId)
    if (list) list.push(image)
    else byProduct.set(productId, [image])
  }
  for (const row of rows) row.images = byProduct.get(row.id) ?? []
  return rows
}

/**
 * The product's rating as the reviews service computed it at change `version`: written only when
 * newer than the one kept (a repeated or late `review.changed` changes nothing). Not a product edit:
 * `updated_at` stays. Returns whether it was written.
 */
export async function setRating(db: Db, productId: string, rating: { count: number; sum: number; version: number }): Promise<boolean> {
  const rows = await db`
    update products set rating_count = ${rating.count}, rating_sum = ${rating.sum}, rating_version = ${rating.version},
      rating_score = coalesce(round(${rating.sum}::numeric / nullif(${rating.count}, 0), 1), 0)
    where id = ${productId} and rating_version < ${rating.version}
    returning 1`
  return rows.length > 0
}

export async function categories(db: Db): Promise<{ name: string; productCount: number }[]> {
  return db<{ name: string; productCount: number }[]>`
    select min(category) as name, count(*)::int as product_count
    from products where active
    group by lower(category)
    order by lower(min(category))`
}

/** The currencies active products are priced in, most products first: what a wallet can pay with here. */
export async function currencies(db: Db): Promise<{ code: string; productCount: number }[]> {
  return db<{ code: string; productCount: number }[]>`
    select currency as code, count(*)::int as product_count
    from products where active
    group by currency
    order by count(*) desc, currency`
}
