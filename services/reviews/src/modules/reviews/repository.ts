import type { Db, Fragment } from '@shop/shared/data/db'
import type { ReviewChange } from '@shop/shared/domain/contracts'
import type { Sort } from './model.ts'

export interface ReviewRow {
  id: string
  productId: string
  userId: string
  rating: number
  title: string | null
  body: string
  authorName: string
  hidden: boolean
  createdAt: Date
  updatedAt: Date
  /** The author holds a delivered, unreturned purchase of the product (read with the row). */
  verifiedPurchase: boolean
}

export interface RatingRow {
  productId: string
  stars1: number
  stars2: number
  stars3: number
  stars4: number
  stars5: number
  version: number
}

/** A review's columns, and whether its author still holds the product (an index lookup per row). */
const withVerified = (db: Db) => db`r.*, exists (
    select 1 from purchases p where p.user_id = r.user_id and p.product_id = r.product_id and p.returned_at is null
  ) as verified_purchase`

// ---- purchases (from orders' events) ----

/**
 * The order's events, one at a time: a delivery and its return (two jobs, which a retry can
 * reorder or run side by side) never interleave. Taken first in either handler's transaction.
 */
async function lockOrder(db: Db, orderId: string): Promise<void> {
  await db`select pg_advisory_xact_lock(hashtextextended(${`reviews:order:${orderId.toLowerCase()}`}, 0))`
}

/**
 * The order's products were delivered to `userId`; a repeat changes nothing. Returned already
 * (its return overtook its delivery): recorded as returned.
 */
export async function recordDelivery(db: Db, orderId: string, userId: string, productIds: string[]): Promise<number> {
  await lockOrder(db, orderId)
  const rows = await db`
    insert into purchases (order_id, product_id, user_id, delivered_at, returned_at)
    select ${orderId}, product_id, ${userId}, now(), (select returned_at from returned_orders where order_id = ${orderId})
    from unnest(${productIds}::uuid[]) as product_id
    on conflict (order_id, product_id) do nothing
    returning 1`
  return rows.length
}

/**
 * The order's goods came back: its purchases no longer verify a review, and a delivery of it
 * that comes later is recorded returned. A repeat changes nothing.
 */
export async function recordReturn(db: Db, orderId: string): Promise<number> {
  await lockOrder(db, orderId)
  const rows = await db`
    with marked as (
      insert into returned_orders (order_id, returned_at) values (${orderId}, now()) on conflict (order_id) do nothing
    )
    update purchases set returned_at = now() where order_id = ${orderId} and returned_at is null returning 1`
  return rows.length
}

export async function holdsProduct(db: Db, userId: string, productId: string): Promise<boolean> {
  const [row] = await db`select 1 from purchases where user_id = ${userId} and product_id = ${productId} and returned_at is null limit 1`
  return row !== undefined
}

/** Whether this service has ever heard of the product (delivered to someone, or rated). */
export async function knowsProduct(db: Db, productId: string): Promise<boolean> {
  const [row] = await db`
    select 1 where exists (select 1 from product_ratings where product_id = ${productId})
       or exists (select 1 from purchases where product_id = ${productId})`
  return row !== undefined
}

// ---- reviews ----

/** The new review, or undefined when the author has one of the product already. */
export async function insert(
  db: Db,
  review: Pick<ReviewRow, 'id' | 'productId' | 'userId' | 'rating' | 'title' | 'body' | 'authorName'>,
): Promise<ReviewRow | undefined> {
  // An author the owner moderated on this product writes a hidden review.
  const [row] = await db<ReviewRow[]>`
    with r as (
      insert into reviews (id, product_id, user_id, rating, title, body, author_name, hidden)
      values (${review.id}, ${review.productId}, ${review.userId}, ${review.rating}, ${review.title}, ${review.body}, ${review.authorName},
              exists (select 1 from moderated_authors where user_id = ${review.userId} and product_id = ${review.productId}))
      on conflict (user_id, product_id) do nothing
      returning *
    )
    select ${withVerified(db)} from r`
  return row
}

export async function findOwn(db: Db, userId: string, productId: string): Promise<ReviewRow | undefined> {
  const [row] = await db<ReviewRow[]>`select ${withVerified(db)} from reviews r where user_id = ${userId} and product_id = ${productId}`
  return row
}

export async function lockById(db: Db, id: string): Promise<ReviewRow | undefined> {
  const [row] = await db<ReviewRow[]>`select ${withVerified(db)} from reviews r where id = ${id} for update of r`
  return row
}

export async function findById(db: Db, id: string): Promise<ReviewRow | undefined> {
  const [row] = await db<ReviewRow[]>`select ${withVerified(db)} from reviews r where id = ${id}`
  return row
}

export async function update(db: Db, id: string, changes: Partial<Pick<ReviewRow, 'rating' | 'title' | 'body' | 'hidden'>>): Promise<ReviewRow> {
  const set = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined))
  const [row] = await db<ReviewRow[]>`
    with r as (update reviews set ${db(set)}, updated_at = now() where id = ${id} returning *)
    select ${withVerified(db)} from r`
  return row!
}

export async function remove(db: Db, id: string): Promise<void> {
  await db`delete from reviews where id = ${id}`
}

/** The owner hid (true) or unhid (false) the author's review of the product: what their next review of it starts as. */
export async function setModerated(db: Db, userId: string, productId: string, moderated: boolean): Promise<void> {
  if (moderated) await db`insert into moderated_authors (user_id, product_id) values (${userId}, ${productId}) on conflict do nothing`
  else await db`delete from moderated_authors where user_id = ${userId} and product_id = ${productId}`
}

/**
 * `page` (a select of reviews rows, ordered and limited) with each row's `verified_purchase`, in
 * `order`. The purchase check is applied to the page's rows only: as a column of the query that
 * finds them, Postgres planned it as a hash of every purchase (2-5 ms a page at 10,000 reviews).
 */
function withVerifiedPage(db: Db, page: Fragment, order: Fragment) {
  return db<ReviewRow[]>`select ${withVerified(db)} from (${page}) r order by ${order}`
}

/** One page of a product's visible reviews in `sort` order, keyset after `after` (the last row's key). */
export async function listVisible(db: Db, productId: string, sort: Sort, after: [number, string] | [string] | undefined, limit: number): Promise<ReviewRow[]> {
  const base = db`select * from reviews where product_id = ${productId} and not hidden`
  switch (sort) {
    case 'newest': {
      const order = db`id desc`
      return withVerifiedPage(db, db`${base} ${after ? db`and id < ${after[0]}::uuid` : db``} order by ${order} limit ${limit}`, order)
    }
    case 'highest': {
      const order = db`rating desc, id desc`
      const keyset = after ? db`and (rating, id) < (${after[0] as number}, ${after[1] as string}::uuid)` : db``
      return withVerifiedPage(db, db`${base} ${keyset} order by ${order} limit ${limit}`, order)
    }
    case 'lowest': {
      const order = db`rating, id desc`
      if (!after) return withVerifiedPage(db, db`${base} order by ${order} limit ${limit}`, order)
      // Rating up, id down: no row comparison covers both directions, so the rest of the same
      // rating and the higher ratings are two index walks, merged.
      const page = db`
        select * from (
          (${base} and rating = ${after[0] as number} and id < ${after[1] as string}::uuid order by id desc limit ${limit})
          union all
          (${base} and rating > ${after[0] as number} order by ${order} limit ${limit})
        ) both_walks order by ${order} limit ${limit}`
      return withVerifiedPage(db, page, order)
    }
  }
}

/** One page of every review (or only the hidden, or only the visible ones), newest first: the moderation list. */
export async function listAll(db: Db, filter: { hidden?: boolean; productId?: string }, after: string | undefined, limit: number): Promise<ReviewRow[]> {
  const conditions = [db`true`]
  if (filter.hidden !== undefined) conditions.push(db`hidden = ${filter.hidden}`)
  if (filter.productId) conditions.push(db`product_id = ${filter.productId}`)
  if (after) conditions.push(db`id < ${after}::uuid`)
  const where = conditions.reduce((all, c) => db`${all} and ${c}`)
  return withVerifiedPage(db, db`select * from reviews where ${where} order by id desc limit ${limit}`, db`id desc`)
}

// ---- ratings ----

/**
 * Moves the product's rating by the ratings a change adds and removes (a new review adds one, an
 * edit removes its old rating and adds the new, a deletion or a hide removes one) and counts the
 * change. The row's lock serialises the product's changes, so every one sees the last.
 */
export async function moveRating(
  db: Db,
  productId: string,
  change: { add?: number; remove?: number },
  cause: { reviewId: string; change: ReviewChange },
): Promise<RatingRow> {
  const delta = (stars: number) => (change.add === stars ? 1 : 0) - (change.remove === stars ? 1 : 0)
  const columns = db`product_id, stars_1, stars_2, stars_3, stars_4, stars_5, version::int`
  // A change that removes a rating has its row already (the review it removes was counted there);
  // only an addition may be the product's first. (An upsert would not do for both: Postgres
  // checks the row it would insert, a -1 among them, before it finds the conflict.)
  if (change.remove !== undefined) {
    const [row] = await db<RatingRow[]>`
      update product_ratings set stars_1 = stars_1 + ${delta(1)}, stars_2 = stars_2 + ${delta(2)}, stars_3 = stars_3 + ${delta(3)},
        stars_4 = stars_4 + ${delta(4)}, stars_5 = stars_5 + ${delta(5)}, version = version + 1,
        last_review_id = ${cause.reviewId}, last_change = ${cause.change}, changed_at = now()
      where product_id = ${productId}
      returning ${columns}`
    if (!row) throw new Error(`product ${productId} has no rating to remove a review's from`)
    return row
  }
  const [row] = await db<RatingRow[]>`
    insert into product_ratings as pr (product_id, stars_1, stars_2, stars_3, stars_4, stars_5, version, last_review_id, last_change)
    values (${productId}, ${delta(1)}, ${delta(2)}, ${delta(3)}, ${delta(4)}, ${delta(5)}, 1, ${cause.reviewId}, ${cause.change})
    on conflict (product_id) do update set
      stars_1 = pr.stars_1 + excluded.stars_1, stars_2 = pr.stars_2 + excluded.stars_2, stars_3 = pr.stars_3 + excluded.stars_3,
      stars_4 = pr.stars_4 + excluded.stars_4, stars_5 = pr.stars_5 + excluded.stars_5, version = pr.version + 1,
      last_review_id = excluded.last_review_id, last_change = excluded.last_change, changed_at = now()
    returning ${columns}`
  return row!
}

/** A rating whose last change was not sent again yet, `olderThanSeconds` after it: locked (others skip it). */
export async function lockUnsentRating(db: Db, olderThanSeconds: number): Promise<(RatingRow & { lastReviewId: string; lastChange: ReviewChange }) | undefined> {
  const [row] = await db<(RatingRow & { lastReviewId: string; lastChange: ReviewChange })[]>`
    select product_id, stars_1, stars_2, stars_3, stars_4, stars_5, version::int, last_review_id, last_change
    from product_ratings
    where resent_version < version and changed_at < now() - ${olderThanSeconds} * interval '1 second'
    order by changed_at limit 1
    for update skip locked`
  return row
}

export async function markResent(db: Db, productId: string, version: number): Promise<void> {
  await db`update product_ratings set resent_version = ${version} where product_id = ${productId}`
}

export async function rating(db: Db, productId: string): Promise<RatingRow | undefined> {
  const [row] = await db<RatingRow[]>`
    select product_id, stars_1, stars_2, stars_3, stars_4, stars_5, version::int from product_ratings where product_id = ${productId}`
  return row
}
