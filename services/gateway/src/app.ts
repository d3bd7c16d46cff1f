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
import { UpstreamPool } from './modules/proxy/balancer.ts'
import { counterOf, type Registry } from '@shop/shared/runtime/metrics'
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
  /** Each service's instances (one URL, or several the gateway spreads requests over). */
  upstreams: Record<ServiceName, string | string[]>
  /** How long an instance that refused a connection is left out (default 5). */
  downSeconds?: number
  /** The gateway's Prometheus registry: retries to another instance are counted there. */
  registry?: Registry
  prefix: string
  origins: string[]
  maxBodyBytes: number
  timeoutMs: number
  /** Write requests per signed-in user per minute. */
  userWritesPerMinute: number
  /** Write requests per client address per minute without a valid access token. */
  anonymousWritesPerMinute: number
  /** Payment-provider webhooks per sending address per minute (WEBHOOK_LIMIT_PER_MINUTE). */
  webhooksPerMinute?: number
  /** Proxies in front of the gateway whose X-Forwarded-For is believed (none: the gateway is the edge). */
  trustedProxies: TrustedProxies
  webDir: string
}

/**
 * Resolves when one of the service's instances answers its /ready (the gateway can serve it); the
 * words say which are not, and why.
 */
async function anyReady(pool: UpstreamPool): Promise<void> {
  const results = await Promise.allSettled(pool.urls.map((url) => upstreamReady(url)))
  if (results.some((r) => r.status === 'fulfilled')) return
  const why = results.map((r) => (r as PromiseRejectedResult).reason?.message ?? 'not ready')
  throw new Error(pool.urls.length === 1 ? why[0]! : pool.urls.map((url, i) => `${url} ${why[i]}`).join('; '))
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
  const downMs = (deps.downSeconds ?? 5) * 1000
  const pools = Object.fromEntries((Object.entries(deps.upstreams) as [ServiceName, string | string[]][]).map(([name, urls]) => [name, new UpstreamPool([urls].flat(), downMs)])) as Record<ServiceName, UpstreamPool>
  /** An instance of `name` for the gateway's own calls (docs, dead letters, the dashboard's sign-in check): one that is up, in turn. */
  const urlOf = (name: ServiceName) => pools[name].pick()!
  // /ready's checks, also the console's view of which processes are ready (/api/admin/system).
  const checks: ReadinessChecks = {
    redis: () => pingRedis(deps.redis),
    ...Object.fromEntries((Object.keys(pools) as ServiceName[]).map((name) => [name, () => withTimeout(anyReady(pools[name]), 3000, 'timed out')])),
  }
  const retries = deps.registry && counterOf(deps.registry, 'shop_gateway_retries_total', 'Requests the gateway sent again to another instance, by service and why', ['service', 'failure'])
  const observability = observabilityPlugin({ service: 'gateway', log: deps.log, checks })
  // One handle per queue for Bull Board and the system status.
  const queues = openQueues(deps.queueConnection, deps.prefix)
  const system = systemRoutes({ queues, verifier: deps.verifier, services: Object.keys(pools) as ServiceName[], urlOf, checks })
  return new Elysia({ name: 'shop.gateway' })
    .use(errorPlugin(deps.log))
    .use(securityHeadersPlugin())
    .use(gatewayGuards(deps.maxBodyBytes))
    .use(corsPlugin(deps.origins))
    .use(observability)
    .use(system)
    .use(
      proxyRoutes({
        upstreams: pools,
        onRetry: retries && ((service, failure) => retries.inc({ service, failure })),
        // A client got a 502: say which instances were tried and how each failed.
        onUnavailable: (service, tries) => deps.log.error('no instance could take the request', { service, tries }),
        timeoutMs: deps.timeoutMs,
        maxBodyBytes: deps.maxBodyBytes,
        limiter: createRateLimiter(deps.redis, deps.prefix),
        verifier: deps.verifier,
        userWritesPerMinute: deps.userWritesPerMinute,
        anonymousWritesPerMinute: deps.anonymousWritesPerMinute,
        webhooksPerMinute: deps.webhooksPerMinute,
        trustedProxies: deps.trustedProxies,
      }),
    )
    .use(docsRoutes(urlOf, system))
    .use(queueRoutes({ queues, verifier: deps.verifier, usersUrl: () => urlOf('users') }))
    .use(webRoutes(deps.webDir))
    .onStop(async () => {
      await Promise.allSettled(queues.map((q) => q.close()))
    })
}

export type App = ReturnType<typeof createApp>
