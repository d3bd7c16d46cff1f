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
}

/** Builds the payments API: no listen(), no globals. The worker is `worker.ts`. */
export function createApp(deps: PaymentsDeps) {
  const auth = authPlugin(deps.verifier)
  const wallets = createWalletsService({ sql: deps.sql, log: deps.log, currencies: deps.currencies, maxDeposit: deps.maxDeposit })
  return createServiceApp({
    service: 'payments',
    title: 'Shop payments service',
    description: 'Wallets, the append-only ledger, deposits; payments and refunds are taken by the worker from the queue.',
    registry: deps.registry,
    log: deps.log,
    checks: { postgres: () => pingSql(deps.sql), redis: () => pingRedis(deps.redis) },
  })
    .use(walletRoutes(wallets, { auth, idempotency: idempotencyPlugin(deps.idempotency) }, deps.maxDeposit))
    .use(adminWalletRoutes(wallets, auth))
    .use(deadLetterRoutes(deps.sql, auth))
}

export type App = ReturnType<typeof createApp>
