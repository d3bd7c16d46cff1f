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

export function eventRoutes(hub: OrderEventHub, auth: ReturnType<typeof authPlugin>, heartbeatMs: number) {
  return new Elysia({ name: 'orders.events' }).use(auth).get(
    '/api/orders/events',
    ({ user, headers, request }) =>
      new Response(hub.stream(user.id, parseLastEventId(headers['last-event-id']), heartbeatMs, request.signal, user.expiresAt), {
        headers: {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        },
      }),
    {
      auth: true,
      response: {
        200: t.String({
          description:
            'text/event-stream: `event: order`, `id: <seq>`, data `{ seq, orderId, event, status, reason, at }`; send Last-Event-ID to resume. When the access token that opened it expires, `event: end` with data `{ "reason": "token_expired" }` and the stream closes: reconnect with a fresh token and Last-Event-ID',
        }),
        401: Problem,
        422: Problem,
      },
      detail: { tags: ['orders'], summary: 'Server-Sent Events of the caller order changes, resumable with Last-Event-ID' },
    },
  )
}
