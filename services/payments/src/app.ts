import { authPlugin, type TokenVerifier } from '@shop/shared/http/auth'
import { pingSql, type Sql } from '@shop/shared/data/db'
import type { Registry } from '@shop/shared/runtime/metrics'
import { IdempotencyStore, idempotencyPlugin } from '@shop/shared/http/idempotency'
import type { Logger } from '@shop/shared/runtime/logger'
import { pingRedis, type Redis } from '@shop/shared/data/redis'
import { deadLetterRoutes } from '@shop/shared/messaging/dead-letter-routes'
import { createServiceApp } from '@shop/shared/http/service-app'
import { adminWalletRoutes, walletRoutes } from './modules/wallets/routes.ts'
import { createWalletsService } from './modules/wallets/service.ts'
import type { OutboxDispatcher } from '@shop/shared/messaging/outbox-dispatcher'
import { demoProvider, type PaymentProvider } from './modules/top-ups/provider.ts'
import { topUpRoutes, webhookRoutes } from './modules/top-ups/routes.ts'
import { createTopUpsService } from './modules/top-ups/service.ts'

export interface PaymentsDeps {
  /** The process's Prometheus registry: its /metrics, business metrics included. */
  registry?: Registry
  sql: Sql
  redis: Redis
  log: Logger
  verifier: TokenVerifier
  idempotency: IdempotencyStore
  maxDeposit: number
  currencies: string[]
  /** Where top-ups go (PAYMENT_PROVIDER); demo when absent. */
  provider?: PaymentProvider
  /** Every provider the shop has keys for (webhooks of top-ups made before a switch still land). */
  providers?: PaymentProvider[]
  /** Sends the events of the API's transactions (`top-up.changed`) as they commit; the worker's relay otherwise. */
  dispatcher?: OutboxDispatcher
}

/** Builds the payments API: no listen(), no globals. The worker is `worker.ts`. */
export function createApp(deps: PaymentsDeps) {
  const auth = authPlugin(deps.verifier)
  const provider = deps.provider ?? demoProvider
  const wallets = createWalletsService({
    sql: deps.sql,
    log: deps.log,
    currencies: deps.currencies,
    maxDeposit: deps.maxDeposit,
    moneyIn: { provider: provider.name, publishableKey: provider.publishableKey },
  })
  const dispatcher = deps.dispatcher
  const topUps = createTopUpsService({
    sql: deps.sql,
    log: deps.log,
    provider,
    providers: deps.providers,
    registry: deps.registry,
    transaction: dispatcher && ((work) => dispatcher.transaction(deps.sql, work)),
  })
  const plugins = { auth, idempotency: idempotencyPlugin(deps.idempotency) }
  return createServiceApp({
    service: 'payments',
    title: 'Shop payments service',
    description:
      "Wallets, the append-only ledger, top-ups through the payment provider (demo or Stripe) and the provider's webhooks; payments and refunds are taken by the worker from the queue.",
    registry: deps.registry,
    log: deps.log,
    checks: { postgres: () => pingSql(deps.sql), redis: () => pingRedis(deps.redis) },
  })
    .use(walletRoutes(wallets, plugins, deps.maxDeposit))
    .use(topUpRoutes(topUps, plugins, deps.maxDeposit))
    .use(webhookRoutes(topUps))
    .use(adminWalletRoutes(wallets, auth))
    .use(deadLetterRoutes(deps.sql, auth))
}

export type App = ReturnType<typeof createApp>
