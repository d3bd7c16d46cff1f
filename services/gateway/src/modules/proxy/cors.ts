/**
 * CORS with an explicit list of origins: a preflight from a listed origin is answered here with
 * what the API needs; one from any other origin is refused (403), and no response ever echoes an
 * origin that is not on the list.
 */
import { Elysia } from 'elysia'
import { AppError, problemResponse } from '@shop/shared/http/errors'

const ALLOWED_HEADERS = 'authorization, content-type, idempotency-key, last-event-id, x-request-id'
const EXPOSED_HEADERS = 'x-request-id, idempotent-replayed, retry-after'
const METHODS = 'GET, POST, PATCH, PUT, DELETE, OPTIONS'

export function corsPlugin(origins: string[]) {
  const allowed = new Set(origins)
  return new Elysia({ name: 'gateway.cors' })
    .onRequest(({ request, set }) => {
      const origin = request.headers.get('origin')
      if (request.method === 'OPTIONS' && request.headers.has('access-control-request-method')) {
        if (!origin || !allowed.has(origin))
          return problemResponse(new AppError(403, 'cors_origin_denied', 'This origin may not call the API'), { vary: 'Origin' })
        return new Response(null, {
          status: 204,
          headers: {
            'access-control-allow-origin': origin,
            'access-control-allow-methods': METHODS,
            'access-control-allow-headers': ALLOWED_HEADERS,
            'access-control-max-age': '600',
            vary: 'Origin',
          },
        })
      }
      set.headers.vary = 'Origin'
      if (origin && allowed.has(origin)) {
        set.headers['access-control-allow-origin'] = origin
        set.headers['access-control-expose-headers'] = EXPOSED_HEADERS
      }
    })
}
