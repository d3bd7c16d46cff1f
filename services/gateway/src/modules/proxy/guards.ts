/**
 * Client mistakes answered at the edge as problems (with the security headers), before any route:
 * a declared body over MAX_BODY_BYTES is a 413, a path with malformed percent-encoding a 400. A
 * body sent in chunks is counted as the proxy streams it (proxy.ts); the gateway's own routes take
 * no such body (411).
 */
import { Elysia } from 'elysia'
import { AppError } from '@shop/shared/http/errors'
import { declaredTooLarge, malformedPath } from '@shop/shared/http/request-guards'
import { bodyLimitFor, pathOf } from '@shop/shared/http/uploads'

const BODILESS = new Set(['GET', 'HEAD', 'OPTIONS'])

export function gatewayGuards(maxBodyBytes: number) {
  return new Elysia({ name: 'gateway.guards' }).onRequest(({ request }) => {
    // An image upload may be larger (shared/src/http/uploads.ts).
    const problem = declaredTooLarge(request, bodyLimitFor(request.method, pathOf(request), maxBodyBytes)) ?? malformedPath(request)
    if (problem) throw problem
    const chunked = !BODILESS.has(request.method) && request.body !== null && !request.headers.has('content-length')
    if (chunked && !new URL(request.url).pathname.startsWith('/api/'))
      throw new AppError(411, 'length_required', 'This route needs a Content-Length for a request body')
  })
}
