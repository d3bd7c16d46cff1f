import { Elysia, t } from 'elysia'
import { bearerToken, type TokenVerifier } from '@shop/shared/http/auth'
import { clientAddress, type TrustedProxies } from '@shop/shared/http/client-address'
import { NotFoundError, Problem } from '@shop/shared/http/errors'
import { PayloadTooLargeError } from '@shop/shared/http/request-guards'
import { bodyLimitFor } from '@shop/shared/http/uploads'
import { requestIdOf } from '@shop/shared/http/observability'
import type { RateLimiter } from '@shop/shared/http/rate-limit'
import { forward, type ForwardOptions } from './proxy.ts'
import type { UpstreamPool } from './balancer.ts'
import { serviceFor, type ServiceName } from './routes-table.ts'

export interface ProxyOptions {
  /** Each service's instances. */
  upstreams: Record<ServiceName, UpstreamPool>
  onRetry?: ForwardOptions['onRetry']
  onUnavailable?: ForwardOptions['onUnavailable']
  timeoutMs: number
  maxBodyBytes: number
  limiter: RateLimiter
  /** Verifies access tokens, so a signed-in customer's writes count against them, not their address. */
  verifier: TokenVerifier
  /** Write requests per signed-in user per minute. */
  userWritesPerMinute: number
  /** Write requests per client address per minute, for requests without a valid access token. */
  anonymousWritesPerMinute: number
  /** Webhook deliveries per sending address per minute. */
  webhooksPerMinute?: number
  trustedProxies: TrustedProxies
}

const WRITES = new Set(['POST', 'PATCH', 'PUT', 'DELETE'])

/** The signed-in user of a request, or undefined (no token, or one that does not verify). */
async function signedInUser(verifier: TokenVerifier, authorization: string | null): Promise<string | undefined> {
  if (!authorization) return undefined
  try {
    return (await verifier.verify(bearerToken(authorization))).id
  } catch {
    return undefined
  }
}

/** Where payment providers deliver their signed notifications. */
const WEBHOOKS = '/api/payments/webhooks/'

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
      const maxBytes = bodyLimitFor(request.method, path, options.maxBodyBytes)
      if (length > maxBytes) throw new PayloadTooLargeError(maxBytes)
      const address = clientAddress(server?.requestIP(request)?.address, request.headers.get('x-forwarded-for'), options.trustedProxies)
      // A provider's webhook is anonymous and comes in bursts from a few addresses (Stripe's): its
      // signature is its proof, checked by payments; it has a generous limit of its own per address.
      if (path.startsWith(WEBHOOKS))
        await options.limiter.hit(`gateway:webhooks:ip:${address}`, { limit: options.webhooksPerMinute ?? 3000, windowMs: 60_000 })
      else if (WRITES.has(request.method)) {
        // Signed in: counted per user, so a whole office behind one address can shop; anonymous
        // (register, login, refresh): per address. Neither can be dodged by a header the client writes.
        const user = await signedInUser(options.verifier, request.headers.get('authorization'))
        await options.limiter.hit(
          user ? `gateway:writes:user:${user}` : `gateway:writes:ip:${address}`,
          { limit: user ? options.userWritesPerMinute : options.anonymousWritesPerMinute, windowMs: 60_000 },
        )
      }
      return forward(request, {
        service,
        pool: options.upstreams[service],
        onRetry: options.onRetry,
        onUnavailable: options.onUnavailable,
        // The id the observability plugin took or made, so logs on both sides and the answer agree.
        requestId: requestIdOf(set) ?? crypto.randomUUID(),
        clientAddress: address,
        timeoutMs: options.timeoutMs,
        maxBodyBytes: options.maxBodyBytes,
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
