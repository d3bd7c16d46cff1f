import { Elysia } from 'elysia'
import type { TokenVerifier } from '@shop/shared/http/auth'
import type { TrustedProxies } from '@shop/shared/http/client-address'
import { errorPlugin } from '@shop/shared/http/errors'
import type { Logger } from '@shop/shared/runtime/logger'
import { observabilityPlugin, type ReadinessChecks } from '@shop/shared/http/observability'
import { createRateLimiter } from '@shop/shared/http/rate-limit'
import { pingRedis, type Redis } from '@shop/shared/data/redis'
import { withTimeout } from '@shop/shared/data/db'
import { docsRoutes } from './modules/docs/routes.ts'
import { corsPlugin } from './modules/proxy/cors.ts'
import { gatewayGuards } from './modules/proxy/guards.ts'
import { proxyRoutes } from './modules/proxy/routes.ts'
import type { ServiceName } from './modules/proxy/routes-table.ts'
import { securityHeadersPlugin } from './modules/proxy/security-headers.ts'
import { openQueues, queueRoutes } from './modules/queues/routes.ts'
import { systemRoutes } from './modules/system/routes.ts'
import { webRoutes } from './modules/web/routes.ts'

export interface GatewayDeps {
  redis: Redis
  /** A BullMQ-ready connection (maxRetriesPerRequest: null) for the queue dashboard. */
  queueConnection: Redis
  log: Logger
  verifier: TokenVerifier
  upstreams: Record<ServiceName, string>
  prefix: string
  origins: string[]
  maxBodyBytes: number
  timeoutMs: number
  /** Write requests per signed-in user per minute. */
  userWritesPerMinute: number
  /** Write requests per client address per minute without a valid access token. */
  anonymousWritesPerMinute: number
  /** Proxies in front of the gateway whose X-Forwarded-For is believed (none: the gateway is the edge). */
  trustedProxies: TrustedProxies
  webDir: string
}

/** Resolves when the service at `baseUrl` answers its /ready; the words say why not (its name is the check's). */
async function upstreamReady(baseUrl: string): Promise<void> {
  let res: Response
  try {
    res = await fetch(new URL('/ready', baseUrl), { signal: AbortSignal.timeout(2000) })
  } catch {
    throw new Error('does not answer')
  }
  await res.body?.cancel()
  if (!res.ok) throw new Error(`not ready (${res.status})`)
}

/** Builds the gateway: no listen(), no globals. */
export function createApp(deps: GatewayDeps) {
  // /ready's checks, also the console's view of which processes are ready (/api/admin/system).
  const checks: ReadinessChecks = {
    redis: () => pingRedis(deps.redis),
    ...Object.fromEntries((Object.entries(deps.upstreams) as [ServiceName, string][]).map(([name, url]) => [name, () => withTimeout(upstreamReady(url), 3000, 'timed out')])),
  }
  const observability = observabilityPlugin({ service: 'gateway', log: deps.log, checks })
  // One handle per queue for Bull Board and the system status.
  const queues = openQueues(deps.queueConnection, deps.prefix)
  const system = systemRoutes({ queues, verifier: deps.verifier, upstreams: deps.upstreams, checks })
  return new Elysia({ name: 'shop.gateway' })
    .use(errorPlugin(deps.log))
    .use(securityHeadersPlugin())
    .use(gatewayGuards(deps.maxBodyBytes))
    .use(corsPlugin(deps.origins))
    .use(observability)
    .use(system)
    .use(
      proxyRoutes({
        upstreams: deps.upstreams,
        timeoutMs: deps.timeoutMs,
        maxBodyBytes: deps.maxBodyBytes,
        limiter: createRateLimiter(deps.redis, deps.prefix),
        verifier: deps.verifier,
        userWritesPerMinute: deps.userWritesPerMinute,
        anonymousWritesPerMinute: deps.anonymousWritesPerMinute,
        trustedProxies: deps.trustedProxies,
      }),
    )
    .use(docsRoutes(deps.upstreams, system))
    .use(queueRoutes({ queues, verifier: deps.verifier, usersUrl: deps.upstreams.users }))
    .use(webRoutes(deps.webDir))
    .onStop(async () => {
      await Promise.allSettled(queues.map((q) => q.close()))
    })
}

export type App = ReturnType<typeof createApp>
