import { t } from 'elysia'
import { Type } from '@sinclair/typebox'
import { StrictInteger, Uuid } from '@shop/shared/domain/money'
import { MAX_RATING, MIN_RATING } from '@shop/shared/domain/rating'
import { PageQuery } from '@shop/shared/http/pagination'
import { literals } from '@shop/shared/domain/literals'

/** Lengths as people count characters (grapheme clusters), checked by the service. */
export const MAX_TITLE = 120
export const MAX_BODY = 5000

// Plain TypeBox: a rating of "5" or 4.5 must be a 422, not coerced.
const Rating = StrictInteger({ minimum: MIN_RATING, maximum: MAX_RATING, error: `must be a whole number from ${MIN_RATING} to ${MAX_RATING}` })
// A generous bound in UTF-16 units before the service counts characters (a family emoji is 11
// units, a subdivision flag 14).
const Title = Type.String({ maxLength: MAX_TITLE * 16, error: `must be at most ${MAX_TITLE} characters` })
const Body = Type.String({ maxLength: MAX_BODY * 16, error: `must be 1 to ${MAX_BODY} characters` })

export const Review = t.Object({
  id: t.String({ format: 'uuid' }),
  productId: t.String({ format: 'uuid' }),
  rating: t.Integer({ minimum: MIN_RATING, maximum: MAX_RATING }),
  title: t.Union([t.String(), t.Null()]),
  body: t.String(),
  /** The author's name as it was when they wrote the review. */
  author: t.Object({ name: t.String() }),
  /** The author holds a delivered, unreturned purchase of the product. */
  verifiedPurchase: t.Boolean(),
  createdAt: t.String({ format: 'date-time' }),
  updatedAt: t.String({ format: 'date-time' }),
})
export type Review = typeof Review.static

/** A review as the owner moderates it: with its author's id and whether it is hidden. */
export const AdminReview = t.Object({ ...Review.properties, userId: t.String({ format: 'uuid' }), hidden: t.Boolean() })
export type AdminReview = typeof AdminReview.static

export const CreateReview = t.Object(
  {
    productId: Type.String({ ...Uuid, error: 'must be a UUID' }),
    rating: Rating,
    title: t.Optional(Title),
    body: Body,
  },
  { additionalProperties: false },
)
export type CreateReview = typeof CreateReview.static

export const UpdateReview = t.Object(
  {
    rating: t.Optional(Rating),
    /** null removes the title. */
    title: t.Optional(t.Union([Title, Type.Null()])),
    body: t.Optional(Body),
  },
  { additionalProperties: false, minProperties: 1, error: 'must change rating, title or body' },
)
export type UpdateReview = typeof UpdateReview.static

export const SORTS = ['newest', 'highest', 'lowest'] as const
export type Sort = (typeof SORTS)[number]

export const ReviewListQuery = t.Object({
  productId: t.String({ format: 'uuid', error: 'must be a UUID' }),
  sort: t.Optional(t.Union(literals(SORTS), { error: `must be one of ${SORTS.join(', ')}` })),
  ...PageQuery.properties,
})
export type ReviewListQuery = typeof ReviewListQuery.static

export const SummaryQuery = t.Object({ productId: t.String({ format: 'uuid', error: 'must be a UUID' }) })

export const Summary = t.Object({
  productId: t.String({ format: 'uuid' }),
  /** To one decimal; null while there are no (visible) reviews. */
  average: t.Union([t.Number(), t.Null()]),
  count: t.Integer(),
  histogram: t.Object({ '1': t.Integer(), '2': t.Integer(), '3': t.Integer(), '4': t.Integer(), '5': t.Integer() }),
})
export type Summary = typeof Summary.static

export const AdminListQuery = t.Object({
  /** true: only hidden reviews; false: only visible ones; absent: all. */
  hidden: t.Optional(t.Boolean({ error: 'must be true or false' })),
  productId: t.Optional(t.String({ format: 'uuid', error: 'must be a UUID' })),
  ...PageQuery.properties,
})
export type AdminListQuery = typeof AdminListQuery.static

/** What the signed-in customer may do about a product: write a review, or why not, and their own review. */
export const MyReview = t.Object({
  productId: t.String({ format: 'uuid' }),
  canReview: t.Boolean(),
  /** Why not: they hold no delivered, unreturned order of it, or they reviewed it already (edit it instead). */
  reason: t.Union([t.Literal('not_a_verified_buyer'), t.Literal('review_exists'), t.Null()]),
  review: t.Union([Review, t.Null()]),
})
export type MyReview = typeof MyReview.static

export const ReviewIdParams = t.Object({ id: t.String({ format: 'uuid', error: 'must be a UUID' }) })
