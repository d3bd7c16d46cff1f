import { t } from 'elysia'
import { Type } from '@sinclair/typebox'
import { Currency, MAX_PRICE, Price, StrictInteger } from '@shop/shared/domain/money'
import { ImageSchema } from '../images/routes.ts'

export const Product = t.Object({
  id: t.String({ format: 'uuid' }),
  name: t.String(),
  description: t.String(),
  category: t.String(),
  /** Integer minor units of `currency`. */
  price: t.Integer(),
  currency: t.String(),
  /** The main image's URL (the first of `images`), else the URL given by the admin, else null. */
  imageUrl: t.Union([t.String(), t.Null()]),
  /** The product's images in order; the first is the main one. */
  images: t.Array(ImageSchema),
  active: t.Boolean(),
  /** On hand. */
  stock: t.Integer(),
  /** What can be ordered now: stock less what is reserved for unpaid orders. */
  available: t.Integer(),
  /** The product's visible reviews: `average` to one decimal, null while `count` is 0 (the reviews service keeps it). */
  rating: t.Object({ average: t.Union([t.Number(), t.Null()]), count: t.Integer() }),
  createdAt: t.String({ format: 'date-time' }),
  updatedAt: t.String({ format: 'date-time' }),
})
export type Product = typeof Product.static

const Name = t.String({ minLength: 1, maxLength: 200, error: 'must be 1 to 200 characters' })
const Description = t.String({ maxLength: 5000, error: 'must be at most 5000 characters' })
const Category = t.String({ minLength: 1, maxLength: 60, error: 'must be 1 to 60 characters' })
const ImageUrl = t.String({ pattern: '^https?://\\S+$', maxLength: 2000, error: 'must be an http(s) URL' })
const Stock = StrictInteger({ minimum: 0, maximum: 1_000_000_000, error: 'must be a whole number from 0' })

export const CreateProduct = t.Object(
  {
    name: Name,
    description: t.Optional(Description),
    category: Category,
    price: Price({ error: `must be a whole number of minor units from 1 to ${MAX_PRICE}` }),
    currency: Currency,
    stock: Stock,
    imageUrl: t.Optional(ImageUrl),
  },
  { additionalProperties: false },
)
export type CreateProduct = typeof CreateProduct.static

export const UpdateProduct = t.Object(
  {
    name: t.Optional(Name),
    description: t.Optional(Description),
    category: t.Optional(Category),
    price: t.Optional(Price({ error: `must be a whole number of minor units from 1 to ${MAX_PRICE}` })),
    currency: t.Optional(Currency),
    stock: t.Optional(Stock),
    imageUrl: t.Optional(t.Union([ImageUrl, Type.Null()])),
    /** false deactivates: the product leaves listings and cannot be reserved. */
    active: t.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
)
export type UpdateProduct = typeof UpdateProduct.static

/** `rating`: best rated first (average, then how many rated), unrated last. */
export const SORTS = ['relevance', 'price', '-price', 'name', 'newest', 'rating'] as const
export type Sort = (typeof SORTS)[number]

export const ListQuery = t.Object({
  q: t.Optional(t.String({ maxLength: 200, error: 'must be at most 200 characters' })),
  category: t.Optional(t.String({ maxLength: 60 })),
  minPrice: t.Optional(t.Integer({ error: 'must be a whole number of minor units' })),
  maxPrice: t.Optional(t.Integer({ error: 'must be a whole number of minor units' })),
  sort: t.Optional(t.Union(SORTS.map((s) => t.Literal(s)), { error: `must be one of ${SORTS.join(', ')}` })),
  limit: t.Optional(t.Integer({ error: 'must be an integer from 1 to 100' })),
  cursor: t.Optional(t.String({ maxLength: 500 })),
})
export type ListQuery = typeof ListQuery.static

/** The owner's list: the shop's query, and which products by state (default all). */
export const AdminListQuery = t.Composite([
  ListQuery,
  t.Object({ status: t.Optional(t.Union([t.Literal('all'), t.Literal('active'), t.Literal('inactive')], { error: 'must be all, active or inactive' })) }),
])

export const Category_ = t.Object({ name: t.String(), productCount: t.Integer() })
export const CurrencyUse = t.Object({ code: t.String({ description: 'ISO 4217' }), productCount: t.Integer() })
export const ProductIdParams = t.Object({ id: t.String({ format: 'uuid', error: 'must be a UUID' }) })
