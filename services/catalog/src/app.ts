import { authPlugin, serviceAuthPlugin, type TokenVerifier } from '@shop/shared/http/auth'
import { pingSql, type Sql } from '@shop/shared/data/db'
import { gaugeOf, type Registry } from '@shop/shared/runtime/metrics'
import { idempotencyPlugin, type IdempotencyStore } from '@shop/shared/http/idempotency'
import type { Logger } from '@shop/shared/runtime/logger'
import { pingRedis, type Redis } from '@shop/shared/data/redis'
import { deadLetterRoutes } from '@shop/shared/messaging/dead-letter-routes'
import { createServiceApp } from '@shop/shared/http/service-app'
import { imageRoutes } from './modules/images/routes.ts'
import { createImagesService } from './modules/images/service.ts'
import { inventoryRoutes } from './modules/inventory/routes.ts'
import { createInventoryService } from './modules/inventory/service.ts'
import { productRoutes } from './modules/products/routes.ts'
import { ListCache } from './modules/products/list-cache.ts'
import { createProductsService, type ProductPage } from './modules/products/service.ts'
import { reservationRoutes } from './modules/reservations/routes.ts'
import { createReservationsService } from './modules/reservations/service.ts'

export interface CatalogDeps {
  /** The process's Prometheus registry: its /metrics, business metrics included. */
  registry?: Registry
  sql: Sql
  redis: Redis
  log: Logger
  verifier: TokenVerifier
  idempotency: IdempotencyStore
  internalToken: string
  /** The shop's product list kept in memory, emptied by every change (list-cache.ts); read from Postgres each time without it. */
  listCache?: ListCache<ProductPage>
}

/** Builds the catalog API: no listen(), no globals. */
/** Products a customer can barely order (at most 5 available), for the low-stock alert. */
function lowStockGauge(registry: Registry, sql: Sql) {
  gaugeOf(registry, 'shop_low_stock_products', 'Active products with at most 5 available (stock less reserved)', [], async (g) => {
    const [row] = await sql<{ count: number }[]>`select count(*)::int as count from products where active and stock - reserved <= 5`
    g.set(row!.count)
  })
}

export function createApp(deps: CatalogDeps) {
  const auth = authPlugin(deps.verifier)
  if (deps.registry) lowStockGauge(deps.registry, deps.sql)
  const listCache = deps.listCache
  return createServiceApp({
    service: 'catalog',
    title: 'Shop catalog service',
    description:
      'Products, their images, categories, full-text search, stock and its ledger (supplies, adjustments, movements), and the stock reservations of the order saga.',
    registry: deps.registry,
    log: deps.log,
    checks: { postgres: () => pingSql(deps.sql), redis: () => pingRedis(deps.redis) },
  })
    // A write by this instance (the owner's, a customer's) empties its list cache before it answers,
    // so the writer's next read shows it; other processes hear of it by NOTIFY (migration 00007).
    .onAfterHandle({ as: 'global' }, ({ request }) => {
      if (listCache && request.method !== 'GET' && request.method !== 'HEAD' && new URL(request.url).pathname.startsWith('/api/')) listCache.changed('*')
    })
    .use(productRoutes(createProductsService({ sql: deps.sql, log: deps.log, listCache }), auth))
    .use(imageRoutes(createImagesService({ sql: deps.sql, log: deps.log }), auth))
    .use(inventoryRoutes(createInventoryService({ sql: deps.sql, log: deps.log }), { auth, idempotency: idempotencyPlugin(deps.idempotency) }))
    .use(reservationRoutes(createReservationsService({ sql: deps.sql, log: deps.log }), serviceAuthPlugin(deps.internalToken)))
    .use(deadLetterRoutes(deps.sql, auth))
}

export type App = ReturnType<typeof createApp>
