/**
 * No order stays NEW forever: one still NEW after the timeout is cancelled (reason timeout),
 * which releases its stock through `order.cancelled`; a payment that arrives later is refunded
 * by the state machine. Intents left by a crash between the reservation and the order's insert
 * are released at the catalog (which leaves a tombstone, so the reservation cannot come back).
 * Safe to run in several worker processes: each order is locked and re-checked in its own
 * transaction.
 */
import type { Sql } from '@shop/shared/db'
import type { Logger } from '@shop/shared/logger'
import type { OutboxDispatcher } from '@shop/shared/outbox'
import type { CatalogClient } from './catalog-client.ts'
import * as repo from './modules/orders/repository.ts'
import { applyEvent } from './modules/orders/service.ts'
import { IllegalTransitionError } from './modules/orders/state.ts'

export interface ReconcilerDeps {
  sql: Sql
  schema: string
  log: Logger
  catalog: CatalogClient
  timeoutSeconds: number
  dispatcher: OutboxDispatcher
}

/** One pass; returns how many orders and intents it settled. */
export async function reconcile(deps: ReconcilerDeps): Promise<number> {
  let settled = 0
  for (const { id } of await repo.staleNew(deps.sql, deps.timeoutSeconds, 200)) {
    try {
      const order = await deps.dispatcher.transaction(deps.sql, (tx) => applyEvent(tx, deps, id, { type: 'cancel', reason: 'timeout' }))
      if (order?.status === 'CANCELLED') settled++
    } catch (error) {
      // Paid a moment ago: no longer NEW, nothing to do.
      if (!(error instanceof IllegalTransitionError)) throw error
    }
  }
  for (const { orderId } of await repo.staleIntents(deps.sql, deps.timeoutSeconds, 200)) {
    await deps.catalog.release(orderId)
    await repo.deleteIntent(deps.sql, orderId)
    deps.log.info('orphaned reservation released', { orderId })
    settled++
  }
  return settled
}
