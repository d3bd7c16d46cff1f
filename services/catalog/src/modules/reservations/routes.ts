import { Elysia, t } from 'elysia'
import type { serviceAuthPlugin } from '@shop/shared/http/auth'
import { Problem } from '@shop/shared/http/errors'
import { GiveBackBody, OrderIdParams, Reservation, ReserveBody, StaleQuery, StaleReservations } from './model.ts'
import type { ReservationsService } from './service.ts'

/** Internal routes for the orders service; the gateway never forwards /internal. */
export function reservationRoutes(reservations: ReservationsService, service: ReturnType<typeof serviceAuthPlugin>) {
  return new Elysia({ name: 'catalog.reservations', prefix: '/internal/reservations', detail: { tags: ['internal'] } })
    .use(service)
    .post(
      '/',
      async ({ body, status }) => {
        const { created, reservation } = await reservations.reserve(body)
        return created ? status(201, reservation) : status(200, reservation)
      },
      {
        service: true,
        body: ReserveBody,
        response: { 200: Reservation, 201: Reservation, 401: Problem, 409: Problem, 422: Problem },
        detail: { summary: 'Reserve all items for an order, or none (idempotent by orderId; 200 on a repeat)' },
      },
    )
    .get('/', ({ query }) => reservations.stale(query.olderThanSeconds, query.limit ?? 200), {
      service: true,
      query: StaleQuery,
      response: { 200: StaleReservations, 401: Problem, 422: Problem },
      detail: { summary: 'Reservations still reserved after olderThanSeconds, oldest first (the orders reconciler settles them)' },
    })
    .get('/:orderId', ({ params }) => reservations.get(params.orderId), {
      service: true,
      params: OrderIdParams,
      response: { 200: Reservation, 401: Problem, 404: Problem, 422: Problem },
      detail: { summary: 'One reservation' },
    })
    .post('/:orderId/commit', ({ params }) => reservations.commit(params.orderId), {
      service: true,
      params: OrderIdParams,
      response: { 200: Reservation, 401: Problem, 404: Problem, 409: Problem, 422: Problem },
      detail: { summary: 'The order was paid: the stock leaves (idempotent; refused after a release)' },
    })
    .post('/:orderId/release', ({ params }) => reservations.release(params.orderId), {
      service: true,
      params: OrderIdParams,
      response: { 200: Reservation, 401: Problem, 409: Problem, 422: Problem },
      detail: { summary: 'The order was cancelled: the stock returns (idempotent; refused after a commit)' },
    })
    .post(
      '/:orderId/give-back',
      async ({ params, body, status }) => {
        await reservations.giveBack(params.orderId, body.cause)
        return status(204, undefined)
      },
      {
        service: true,
        params: OrderIdParams,
        body: GiveBackBody,
        response: { 204: t.Void(), 401: Problem, 422: Problem },
        detail: { summary: 'The order ended without keeping its goods: released if reserved, restocked once if committed (idempotent)' },
      },
    )
}
