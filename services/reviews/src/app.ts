import { authPlugin, type TokenVerifier } from '@shop/shared/http/auth'
import { pingSql, type Sql } from '@shop/shared/data/db'
import type { Registry } from '@shop/shared/runtime/metrics'
import type { Logger } from '@shop/shared/runtime/logger'
import { pingRedis, type Redis } from '@shop/shared/data/redis'
import { deadLetterRoutes } from '@shop/shared/messaging/dead-letter-routes'
import { createServiceApp } from '@shop/shared/http/service-app'
import type { OutboxDispatcher } from '@shop/shared/messaging/outbox-dispatcher'
import type { CatalogClient } from './catalog-client.ts'
import { adminReviewRoutes, reviewRoutes } from './modules/reviews/routes.ts'
import { createReviewsService } from './modules/reviews/service.ts'

export interface ReviewsAppDeps {
  /** The process's Prometheus registry: its /metrics, business metrics included. */
  registry?: Registry
  sql: Sql
  redis: Redis
  log: Logger
  verifier: TokenVerifier
  catalog: CatalogClient
  dispatcher?: OutboxDispatcher
}

/** Builds the reviews API: no listen(), no globals. */
export function createApp(deps: ReviewsAppDeps) {
  const auth = authPlugin(deps.verifier)
  const reviews = createReviewsService({ sql: deps.sql, log: deps.log, catalog: deps.catalog, dispatcher: deps.dispatcher })
  return createServiceApp({
    service: 'reviews',
    title: 'Shop reviews service',
    description:
      "Verified-purchase reviews: only a customer whose order holding the product was delivered (and not returned) may review it, once. Public lists and rating summaries; moderation; the catalog keeps each product's rating from this service's review.changed events.",
    registry: deps.registry,
    log: deps.log,
    checks: { postgres: () => pingSql(deps.sql), redis: () => pingRedis(deps.redis) },
  })
    .use(reviewRoutes(reviews, auth))
    .use(adminReviewRoutes(reviews, auth))
    .use(deadLetterRoutes(deps.sql, auth))
}

export type App = ReturnType<typeof createApp>
