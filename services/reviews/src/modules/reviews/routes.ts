import { Elysia, t } from 'elysia'
import type { authPlugin } from '@shop/shared/http/auth'
import { Problem } from '@shop/shared/http/errors'
import { Page } from '@shop/shared/http/pagination'
import { AdminListQuery, AdminReview, CreateReview, MyReview, ReviewListQuery, Review, ReviewIdParams, Summary, SummaryQuery, UpdateReview } from './model.ts'
import type { ReviewsService } from './service.ts'

export function reviewRoutes(reviews: ReviewsService, auth: ReturnType<typeof authPlugin>) {
  return new Elysia({ name: 'reviews.reviews', prefix: '/api/reviews', detail: { tags: ['reviews'] } })
    .use(auth)
    .get('', ({ query }) => reviews.list(query), {
      query: ReviewListQuery,
      response: { 200: Page(Review), 404: Problem, 422: Problem },
      detail: { summary: "Public: a product's visible reviews, sorted newest (default), highest or lowest; keyset pages" },
    })
    .get('/summary', ({ query }) => reviews.summary(query.productId), {
      query: SummaryQuery,
      response: { 200: Summary, 404: Problem, 422: Problem },
      detail: { summary: "Public: a product's rating over its visible reviews: average to one decimal, count, histogram 1-5" },
    })
    .get('/mine', ({ user, query }) => reviews.mine(user, query.productId), {
      auth: true,
      query: SummaryQuery,
      response: { 200: MyReview, 401: Problem, 404: Problem, 422: Problem },
      detail: { summary: "The caller and a product: whether they may review it (or why not) and their own review of it" },
    })
    .post('', async ({ user, body, status }) => status(201, await reviews.create(user, body)), {
      auth: true,
      body: CreateReview,
      response: { 201: Review, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem },
      detail: {
        summary:
          'Review a product you received (a delivered order, not returned: else 403 not_a_verified_buyer); one per customer and product (409 review_exists: PATCH it instead)',
      },
    })
    .patch('/:id', ({ user, params, body }) => reviews.update(user, params.id, body), {
      auth: true,
      params: ReviewIdParams,
      body: UpdateReview,
      response: { 200: Review, 401: Problem, 404: Problem, 422: Problem },
      detail: { summary: "Change your review's rating, title (null removes it) or body; another's review is a 404" },
    })
    .delete(
      '/:id',
      async ({ user, params, set }) => {
        await reviews.remove(user, params.id)
        set.status = 204
      },
      {
        auth: true,
        params: ReviewIdParams,
        response: { 204: t.Void(), 401: Problem, 404: Problem, 422: Problem },
        detail: { summary: "Delete your review; another's is a 404" },
      },
    )
    .post('/:id/hide', ({ params }) => reviews.setHidden(params.id, true), {
      auth: 'admin',
      params: ReviewIdParams,
      response: { 200: AdminReview, 401: Problem, 403: Problem, 404: Problem, 422: Problem },
      detail: { summary: "Admin: the review leaves the public list and the product's rating (hiding a hidden one changes nothing)" },
    })
    .post('/:id/unhide', ({ params }) => reviews.setHidden(params.id, false), {
      auth: 'admin',
      params: ReviewIdParams,
      response: { 200: AdminReview, 401: Problem, 403: Problem, 404: Problem, 422: Problem },
      detail: { summary: "Admin: a hidden review comes back to the public list and the product's rating" },
    })
}

export function adminReviewRoutes(reviews: ReviewsService, auth: ReturnType<typeof authPlugin>) {
  return new Elysia({ name: 'reviews.admin', prefix: '/api/admin/reviews', detail: { tags: ['reviews'] } })
    .use(auth)
    .get('', ({ query }) => reviews.adminList(query), {
      auth: 'admin',
      query: AdminListQuery,
      response: { 200: Page(AdminReview), 401: Problem, 403: Problem, 422: Problem },
      detail: { summary: 'Admin: every review, newest first; hidden=true for the hidden ones, false for the visible; productId narrows' },
    })
    .get('/:id', ({ params }) => reviews.adminGet(params.id), {
      auth: 'admin',
      params: ReviewIdParams,
      response: { 200: AdminReview, 401: Problem, 403: Problem, 404: Problem, 422: Problem },
      detail: { summary: 'Admin: one review, hidden or not' },
    })
}
