import { Elysia, t } from 'elysia'
import type { authPlugin } from '@shop/shared/http/auth'
import { Problem, ValidationFailedError } from '@shop/shared/http/errors'
import type { OrderEventHub } from './hub.ts'

function parseLastEventId(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined
  if (!/^\d{1,15}$/.test(value))
    throw new ValidationFailedError('Last-Event-ID: must be the id of an event from this stream', [
      { field: 'Last-Event-ID', message: 'must be the id of an event from this stream' },
    ])
  return Number(value)
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
}

export function eventRoutes(hub: OrderEventHub, auth: ReturnType<typeof authPlugin>, heartbeatMs: number) {
  return new Elysia({ name: 'orders.events' })
    .use(auth)
    .get(
      '/api/orders/events',
      ({ user, headers, request }) =>
        new Response(hub.stream(user.id, parseLastEventId(headers['last-event-id']), heartbeatMs, request.signal, user.expiresAt), {
          headers: SSE_HEADERS,
        }),
      {
        auth: true,
        response: {
          200: t.String({
            description:
              'text/event-stream: `event: order`, `id: <seq>`, data `{ seq, orderId, event, status, reason, at }`; send Last-Event-ID to resume. `event: wallet` (no id, not replayed), data `{ topUpId, status, amount, currency, demo }` when a wallet top-up settles. When the access token that opened it expires, `event: end` with data `{ "reason": "token_expired" }` and the stream closes: reconnect with a fresh token and Last-Event-ID',
          }),
          401: Problem,
          422: Problem,
        },
        detail: { tags: ['orders'], summary: 'Server-Sent Events of the caller order changes, resumable with Last-Event-ID' },
      },
    )
    .get('/api/admin/orders/events', ({ user, request }) => new Response(hub.streamAll(heartbeatMs, request.signal, user.expiresAt), { headers: SSE_HEADERS }), {
      auth: 'admin',
      response: {
        200: t.String({
          description:
            'text/event-stream: `event: order`, data `{ seq, orderId, userId, event, status, reason, shipment, at }` for every customer order change as it commits (no replay: read the lists on connect). `event: end` with `{ "reason": "token_expired" }` when the token that opened it expires',
        }),
        401: Problem,
        403: Problem,
      },
      detail: { tags: ['admin'], summary: "Admin: Server-Sent Events of every customer's order changes (the console's live queue)" },
    })
}
