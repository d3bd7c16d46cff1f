/**
 * Reviews: only a customer who received a product may review it (purchases, kept from orders'
 * events), once; everyone reads them. Every change that moves a product's rating moves its
 * `product_ratings` row in the same transaction and publishes `review.changed` with the whole
 * rating and its version, so the catalog's copy can never be skewed by a repeat or a reordering.
 */
import type { Sql, Tx } from '@shop/shared/data/db'
import type { AuthUser } from '@shop/shared/http/auth'
import { AppError, ConflictError, NotFoundError, ValidationFailedError } from '@shop/shared/http/errors'
import { decodeCursor, pageLimit, toPage } from '@shop/shared/http/pagination'
import type { EventPayload, ReviewChange } from '@shop/shared/domain/contracts'
import { ratingAverage } from '@shop/shared/domain/rating'
import { characterCount } from '@shop/shared/domain/text'
import { publish } from '@shop/shared/messaging/outbox'
import type { OutboxDispatcher } from '@shop/shared/messaging/outbox-dispatcher'
import type { Logger } from '@shop/shared/runtime/logger'
import type { CatalogClient } from '../../catalog-client.ts'
import { MAX_BODY, MAX_TITLE, type AdminListQuery, type AdminReview, type CreateReview, type MyReview, type ReviewListQuery, type Review, type Sort, type Summary, type UpdateReview } from './model.ts'
import * as repo from './repository.ts'

export class NotAVerifiedBuyerError extends AppError<'not_a_verified_buyer'> {
  constructor() {
    super(403, 'not_a_verified_buyer', 'Only a customer who received this product (a delivered order, not returned) may review it')
  }
}

/** The name a review shows when the author's token carried none (tokens signed before names travelled in them). */
const NAMELESS = 'A customer'

export function toReview(row: repo.ReviewRow): Review {
  return {
    id: row.id,
    productId: row.productId,
    rating: row.rating,
    title: row.title,
    body: row.body,
    author: { name: row.authorName },
    verifiedPurchase: row.verifiedPurchase,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }
}

export function toAdminReview(row: repo.ReviewRow): AdminReview {
  return { ...toReview(row), userId: row.userId, hidden: row.hidden }
}

const invalid = (field: string, message: string) => new ValidationFailedError(`${field}: ${message}`, [{ field, message }])

/** The title as stored: trimmed, null when blank; over MAX_TITLE characters is a 422. */
function cleanTitle(title: string | null | undefined): string | null {
  const trimmed = title?.trim()
  if (!trimmed) return null
  if (characterCount(trimmed) > MAX_TITLE) throw invalid('title', `must be at most ${MAX_TITLE} characters`)
  return trimmed
}

function cleanBody(body: string): string {
  const trimmed = body.trim()
  if (!trimmed || characterCount(trimmed) > MAX_BODY) throw invalid('body', `must be 1 to ${MAX_BODY} characters`)
  return trimmed
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const isUuid = (v: unknown): v is string => typeof v === 'string' && UUID.test(v)

interface CursorKey {
  s: Sort | 'admin'
  k: unknown[]
}

/** Whether `value` is a cursor this list could have made (a crafted one is a 422, never SQL). */
function isCursorFor(sort: Sort | 'admin', value: unknown): value is CursorKey {
  if (typeof value !== 'object' || value === null) return false
  const { s, k } = value as Partial<CursorKey>
  if (s !== sort || !Array.isArray(k)) return false
  if (sort === 'newest' || sort === 'admin') return k.length === 1 && isUuid(k[0])
  return k.length === 2 && Number.isInteger(k[0]) && (k[0] as number) >= 1 && (k[0] as number) <= 5 && isUuid(k[1])
}

function keyOf(sort: Sort, row: repo.ReviewRow): unknown[] {
  return sort === 'newest' ? [row.id] : [row.rating, row.id]
}

export function toSummary(productId: string, row: repo.RatingRow | undefined): Summary {
  const stars = row ? [row.stars1, row.stars2, row.stars3, row.stars4, row.stars5] : [0, 0, 0, 0, 0]
  const count = stars.reduce((a, b) => a + b, 0)
  const sum = stars.reduce((a, n, i) => a + n * (i + 1), 0)
  return {
    productId,
    average: ratingAverage(sum, count),
    count,
    histogram: { '1': stars[0]!, '2': stars[1]!, '3': stars[2]!, '4': stars[3]!, '5': stars[4]! },
  }
}

/** review.changed for a product's rating as `row` has it. */
function changedEvent(row: repo.RatingRow, reviewId: string, change: ReviewChange): EventPayload<'review.changed'> {
  const count = row.stars1 + row.stars2 + row.stars3 + row.stars4 + row.stars5
  const sum = row.stars1 + 2 * row.stars2 + 3 * row.stars3 + 4 * row.stars4 + 5 * row.stars5
  return { reviewId, productId: row.productId, change, rating: { count, sum, version: row.version } }
}

/**
 * Sends the catalog each product's last rating change again, once, `afterSeconds` after it: Redis
 * may forget review.changed after the outbox marked it sent, and nothing else would repeat it.
 * A repeat is harmless (the catalog keeps the newest version). Returns how many were sent; safe
 * in several workers (each row is locked, others skip it).
 */
export async function resendRatings(deps: { sql: Sql; dispatcher?: OutboxDispatcher }, afterSeconds: number, limit = 200): Promise<number> {
  let sent = 0
  while (sent < limit) {
    const work = async (tx: Tx) => {
      const row = await repo.lockUnsentRating(tx, afterSeconds)
      if (!row) return false
      await publish(tx, 'review.changed', changedEvent(row, row.lastReviewId, row.lastChange))
      await repo.markResent(tx, row.productId, row.version)
      return true
    }
    const done = deps.dispatcher ? await deps.dispatcher.transaction(deps.sql, work) : await deps.sql.begin(work)
    if (!done) break
    sent++
  }
  return sent
}

export interface ReviewsDeps {
  sql: Sql
  log: Logger
  catalog: CatalogClient
  dispatcher?: OutboxDispatcher
}

export function createReviewsService(deps: ReviewsDeps) {
  const { sql, log, catalog } = deps
  const transaction = <T>(work: (tx: Tx) => Promise<T>) => (deps.dispatcher ? deps.dispatcher.transaction(sql, work) : sql.begin(work))

  /** 404 unless someone received or rated the product, or the catalog has it. */
  async function mustExist(productId: string): Promise<void> {
    if ((await repo.knowsProduct(sql, productId)) || (await catalog.productExists(productId))) return
    throw new NotFoundError('No such product')
  }

  /** The product's rating moves; the catalog hears of it (review.changed, with the whole rating). */
  async function ratingMoved(tx: Tx, review: repo.ReviewRow, change: ReviewChange, move: { add?: number; remove?: number }) {
    const row = await repo.moveRating(tx, review.productId, move, { reviewId: review.id, change })
    await publish(tx, 'review.changed', changedEvent(row, review.id, change))
    log.info('product rating moved', { productId: review.productId, reviewId: review.id, change, version: row.version })
  }

  /** The caller's own review, locked; another's (or none) is a 404, so ids reveal nothing. */
  async function lockOwn(tx: Tx, user: AuthUser, id: string): Promise<repo.ReviewRow> {
    const row = await repo.lockById(tx, id)
    if (!row || row.userId !== user.id) throw new NotFoundError('No such review')
    return row
  }

  return {
    async create(user: AuthUser, input: CreateReview): Promise<Review> {
      const title = cleanTitle(input.title)
      const body = cleanBody(input.body)
      let row: repo.ReviewRow
      try {
        row = await transaction(async (tx) => {
          if (!(await repo.holdsProduct(tx, user.id, input.productId))) throw new NotAVerifiedBuyerError()
          const inserted = await repo.insert(tx, {
            id: Bun.randomUUIDv7(),
            productId: input.productId,
            userId: user.id,
            rating: input.rating,
            title,
            body,
            authorName: user.name ?? NAMELESS,
          })
          if (!inserted) throw new ConflictError('You have reviewed this product already; change your review instead', 'review_exists')
          // An author the owner moderated on this product writes hidden: outside the rating.
          if (!inserted.hidden) await ratingMoved(tx, inserted, 'created', { add: inserted.rating })
          return inserted
        })
      } catch (error) {
        // Not a buyer: an unknown product is a 404 (asked of the catalog outside the transaction).
        if (error instanceof NotAVerifiedBuyerError) await mustExist(input.productId)
        throw error
      }
      return toReview(row)
    },

    async update(user: AuthUser, id: string, input: UpdateReview): Promise<Review> {
      const changes = {
        rating: input.rating,
        title: input.title === undefined ? undefined : cleanTitle(input.title),
        body: input.body === undefined ? undefined : cleanBody(input.body),
      }
      const row = await transaction(async (tx) => {
        const before = await lockOwn(tx, user, id)
        const after = await repo.update(tx, id, changes)
        // A hidden review is outside the rating: its edit moves nothing there.
        if (!before.hidden && before.rating !== after.rating) await ratingMoved(tx, after, 'edited', { add: after.rating, remove: before.rating })
        return after
      })
      return toReview(row)
    },

    async remove(user: AuthUser, id: string): Promise<void> {
      await transaction(async (tx) => {
        const review = await lockOwn(tx, user, id)
        await repo.remove(tx, id)
        if (!review.hidden) await ratingMoved(tx, review, 'deleted', { remove: review.rating })
      })
    },

    /** Admin: the review leaves (or comes back to) the public list and the product's rating; a repeat changes nothing. */
    async setHidden(id: string, hidden: boolean): Promise<AdminReview> {
      const row = await transaction(async (tx) => {
        const review = await repo.lockById(tx, id)
        if (!review) throw new NotFoundError('No such review')
        if (review.hidden === hidden) return review
        const after = await repo.update(tx, id, { hidden })
        await repo.setModerated(tx, after.userId, after.productId, hidden)
        await ratingMoved(tx, after, hidden ? 'hidden' : 'unhidden', hidden ? { remove: after.rating } : { add: after.rating })
        return after
      })
      return toAdminReview(row)
    },

    async list(query: ReviewListQuery) {
      const limit = pageLimit(query.limit)
      const sort: Sort = query.sort ?? 'newest'
      const cursor = decodeCursor(query.cursor, (v): v is CursorKey => isCursorFor(sort, v))
      const rows = await repo.listVisible(sql, query.productId, sort, cursor?.k as [number, string] | [string] | undefined, limit + 1)
      if (rows.length === 0 && !cursor) await mustExist(query.productId)
      return toPage(rows, limit, toReview, (row): CursorKey => ({ s: sort, k: keyOf(sort, row) }))
    },

    async summary(productId: string): Promise<Summary> {
      const row = await repo.rating(sql, productId)
      if (!row) await mustExist(productId)
      return toSummary(productId, row)
    },

    async adminList(query: AdminListQuery) {
      const limit = pageLimit(query.limit)
      const cursor = decodeCursor(query.cursor, (v): v is CursorKey => isCursorFor('admin', v))
      const rows = await repo.listAll(sql, { hidden: query.hidden, productId: query.productId }, cursor?.k[0] as string | undefined, limit + 1)
      return toPage(rows, limit, toAdminReview, (row): CursorKey => ({ s: 'admin', k: [row.id] }))
    },

    /** What the customer may do about the product (a product never heard of is a 404). */
    async mine(user: AuthUser, productId: string): Promise<MyReview> {
      const [own, holds] = await Promise.all([repo.findOwn(sql, user.id, productId), repo.holdsProduct(sql, user.id, productId)])
      if (!own && !holds) await mustExist(productId)
      const reason = own ? 'review_exists' : holds ? null : 'not_a_verified_buyer'
      return { productId, canReview: reason === null, reason, review: own ? toReview(own) : null }
    },

    async adminGet(id: string): Promise<AdminReview> {
      const row = await repo.findById(sql, id)
      if (!row) throw new NotFoundError('No such review')
      return toAdminReview(row)
    },
  }
}

export type ReviewsService = ReturnType<typeof createReviewsService>
