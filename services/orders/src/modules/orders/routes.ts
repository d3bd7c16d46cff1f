import { Elysia } from 'elysia'
import type { authPlugin } from '@shop/shared/http/auth'
import { Problem } from '@shop/shared/http/errors'
import { requestIdOf } from '@shop/shared/http/observability'
import { IDEMPOTENCY_HEADER_DOC, claimOf, type idempotencyPlugin } from '@shop/shared/http/idempotency'
import { Page } from '@shop/shared/http/pagination'
import { AdminListOrdersQuery, CreateOrder, ListOrdersQuery, Order, OrderIdParams, ReturnOrder, ShipOrder } from './model.ts'
import type { OrdersService } from './service.ts'

export function orderRoutes(
  orders: OrdersService,
  plugins: { auth: ReturnType<typeof authPlugin>; idempotency: ReturnType<typeof idempotencyPlugin> },
) {
  return new Elysia({ name: 'orders.orders', prefix: '/api/orders', detail: { tags: ['orders'] } })
    .use(plugins.auth)
    .use(plugins.idempotency)
    .post(
      '',
      async ({ user, body, headers, request, set, status }) => {
        const claim = claimOf(request)
        if (!claim) throw new Error('POST /api/orders ran without its Idempotency-Key claim')
        const idempotency = { key: headers['idempotency-key']!, earlierOrderId: claim.lookup as string | null, owned: { scope: claim.scope, lockToken: claim.lockToken } }
        const { order, recorded } = await orders.create(user, body, idempotency, requestIdOf(set))
        // The order's statement recorded this answer under the key: the plugin must not record it again.
        if (recorded) claim.recorded()
        return status(202, order)
      },
      {
        auth: true,
        idempotent: orders.createClaim,
        body: CreateOrder,
        response: { 202: Order, 400: Problem, 401: Problem, 409: Problem, 422: Problem, 503: Problem },
        detail: { summary: 'Order: stock reserved at catalog prices, payment requested (202, status NEW)', ...IDEMPOTENCY_HEADER_DOC },
      },
    )
    .get('', ({ user, query }) => orders.list(user, query), {
      auth: true,
      query: ListOrdersQuery,
      response: { 200: Page(Order), 401: Problem, 422: Problem },
      detail: { summary: 'The caller orders, newest first; ?status= filters' },
    })
    .get('/:id', ({ user, params }) => orders.get(user, params.id), {
      auth: true,
      params: OrderIdParams,
      response: { 200: Order, 401: Problem, 404: Problem, 422: Problem },
      detail: { summary: 'One order with its status history' },
    })
    .post('/:id/cancel', ({ user, params }) => orders.cancel(user, params.id), {
      auth: true,
      idempotent: true,
      params: OrderIdParams,
      response: { 200: Order, 400: Problem, 401: Problem, 404: Problem, 409: Problem, 422: Problem },
      detail: { summary: 'Cancel: a NEW order releases its stock, a PAID one is refunded; later: 409', ...IDEMPOTENCY_HEADER_DOC },
    })
    .post('/:id/ship', ({ user, params, body }) => orders.ship(user, params.id, body), {
      auth: 'admin',
      idempotent: true,
      params: OrderIdParams,
      body: ShipOrder,
      response: { 200: Order, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem },
      detail: { summary: 'Admin: a PAID order was shipped with this carrier and tracking number', ...IDEMPOTENCY_HEADER_DOC },
    })
    .post('/:id/deliver', ({ user, params }) => orders.deliver(user, params.id), {
      auth: 'admin',
      idempotent: true,
      params: OrderIdParams,
      response: { 200: Order, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem },
      detail: { summary: 'Admin: a SHIPPED order was delivered (its delivery time is recorded)', ...IDEMPOTENCY_HEADER_DOC },
    })
    .post('/:id/return', ({ user, params, body }) => orders.requestReturn(user, params.id, body.reason), {
      auth: true,
      idempotent: true,
      params: OrderIdParams,
      body: ReturnOrder,
      response: { 200: Order, 400: Problem, 401: Problem, 404: Problem, 409: Problem, 422: Problem },
      detail: { summary: 'The customer sends a DELIVERED order back, within RETURN_WINDOW_DAYS of delivery (409 return_window_closed after)', ...IDEMPOTENCY_HEADER_DOC },
    })
    .post('/:id/return/receive', ({ user, params }) => orders.receiveReturn(user, params.id), {
      auth: 'admin',
      idempotent: true,
      params: OrderIdParams,
      response: { 200: Order, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem },
      detail: { summary: 'Admin: the returned goods came back: RETURNED, the total refunded once, the items back in stock', ...IDEMPOTENCY_HEADER_DOC },
    })
}

/** The owner's view of every customer's orders (the shipping queue). */
export function adminOrderRoutes(orders: OrdersService, auth: ReturnType<typeof authPlugin>) {
  return new Elysia({ name: 'orders.admin', prefix: '/api/admin/orders', detail: { tags: ['admin'] } })
    .use(auth)
    .get('', ({ query }) => orders.listAll(query), {
      auth: 'admin',
      query: AdminListOrdersQuery,
      response: { 200: Page(Order), 401: Problem, 403: Problem, 422: Problem },
      detail: { summary: "Admin: every customer's orders, newest first; ?status=, ?number= (1042 or #1042), ?userId=" },
    })
}
