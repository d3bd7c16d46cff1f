import { authPlugin, type TokenVerifier } from '@shop/shared/http/auth'
import { pingSql, type Sql } from '@shop/shared/data/db'
import type { Registry } from '@shop/shared/runtime/metrics'
import { IdempotencyStore, idempotencyPlugin } from '@shop/shared/http/idempotency'
import type { Logger } from '@shop/shared/runtime/logger'
import type { OutboxDispatcher } from '@shop/shared/messaging/outbox-dispatcher'
import { pingRedis, type Redis } from '@shop/shared/data/redis'
import { deadLetterRoutes } from '@shop/shared/messaging/dead-letter-routes'
import { createServiceApp } from '@shop/shared/http/service-app'
import type { CatalogClient } from './catalog-client.ts'
import type { OrderEventHub } from './modules/events/hub.ts'
import { eventRoutes } from './modules/events/routes.ts'
import { adminOrderRoutes, orderRoutes } from './modules/orders/routes.ts'
import { createOrdersService } from './modules/orders/service.ts'
import { statsRoutes } from './modules/stats/routes.ts'
import { createStatsService } from './modules/stats/service.ts'

export interface OrdersAppDeps {
  /** The process's Prometheus registry: its /metrics, business metrics included. */
  registry?: Registry
  sql: Sql
  schema: string
  redis: Redis
  log: Logger
  verifier: TokenVerifier
  idempotency: IdempotencyStore
  catalog: CatalogClient
  hub: OrderEventHub
  heartbeatMs: number
  dispatcher: OutboxDispatcher
  /** RETURN_WINDOW_DAYS: a delivered order may be returned this long after its delivery. */
  returnWindowDays: number
}

/** Builds the orders API: no listen(), no globals. The worker is `worker.ts`. */
export function createApp(deps: OrdersAppDeps) {
  const auth = authPlugin(deps.verifier)
  const orders = createOrdersService({ sql: deps.sql, schema: deps.schema, log: deps.log, catalog: deps.catalog, dispatcher: deps.dispatcher, returnWindowDays: deps.returnWindowDays, registry: deps.registry })
  return createServiceApp({
    service: 'orders',
    title: 'Shop orders service',
    description: 'Orders, their status history and the live status stream (SSE).',
    registry: deps.registry,
    log: deps.log,
    checks: { postgres: () => pingSql(deps.sql), redis: () => pingRedis(deps.redis) },
  })
    .use(eventRoutes(deps.hub, auth, deps.heartbeatMs))
    .use(orderRoutes(orders, { auth, idempotency: idempotencyPlugin(deps.idempotency) }))
    .use(adminOrderRoutes(orders, auth))
    .use(statsRoutes(createStatsService(deps.sql), auth))
    .use(deadLetterRoutes(deps.sql, auth))
}

export type App = ReturnType<typeof createApp>
