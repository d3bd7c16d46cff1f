import { Elysia, t } from 'elysia'
import { AppError, NotFoundError, Problem } from '@shop/shared/errors'
import { requestIdOf } from '@shop/shared/observability'
import type { RateLimiter } from '@shop/shared/rate-limit'
import { forward } from './proxy.ts'
import { serviceFor, type ServiceName } from './routes-table.ts'

export interface ProxyOptions {
  upstreams: Record<ServiceName, string>
  timeoutMs: number
  maxBodyBytes: number
  limiter: RateLimiter
  writesPerMinute: number
  trustProxy: boolean
}

const WRITES = new Set(['POST', 'PATCH', 'PUT', 'DELETE'])

function clientAddress(request: Request, server: { requestIP(r: Request): { address: string } | null } | null, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = request.headers.get('x-forwarded-for')?.split(',')[0]?.trim()
    if (forwarded) return forwarded
  }
  return server?.requestIP(request)?.address ?? 'unknown'
}

/** Methods forwarded (registered one by one: Bun's router serves `.all` after method routes). */
export const PROXIED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const

/** `/api/*` to the owning service, after the body-size and write-rate checks. */
export function proxyRoutes(options: ProxyOptions) {
  const handler = async ({
    request,
    server,
    set,
  }: {
    request: Request
    server: { requestIP(r: Request): { address: string } | null } | null
    set: { headers: Record<string, unknown> }
  }) => {
      const path = new URL(request.url).pathname
      const service = serviceFor(path)
      if (!service) throw new NotFoundError('No such API route')
      const length = Number(request.headers.get('content-length') ?? 0)
      if (length > options.maxBodyBytes)
        throw new AppError(413, 'payload_too_large', `The request body is larger than ${options.maxBodyBytes} bytes`)
      const address = clientAddress(request, server, options.trustProxy)
      if (WRITES.has(request.method)) await options.limiter.hit(`gateway:writes:${address}`, { limit: options.writesPerMinute, windowMs: 60_000 })
      return forward(request, {
        service,
        baseUrl: options.upstreams[service],
        // The id the observability plugin took or made, so logs on both sides and the answer agree.
        requestId: requestIdOf(set) ?? crypto.randomUUID(),
        clientAddress: address,
        timeoutMs: options.timeoutMs,
      })
  }
  const hook = {
    // The body is streamed to the service untouched: Elysia must not read it here.
    parse: 'none' as const,
    response: { 200: t.Any(), 404: Problem, 413: Problem, 429: Problem, 502: Problem, 504: Problem },
    detail: { hide: true },
  }
  let app = new Elysia({ name: 'gateway.proxy' })
  for (const method of PROXIED_METHODS) app = app.route(method, '/api/*', handler, hook) as unknown as typeof app
  return app
}
