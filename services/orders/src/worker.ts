/**
 * The orders worker process: consumes payments' outcomes (`payment.succeeded`,
 * `payment.declined`, `payment.refunded`, `payment.voided`) and settled top-ups
 * (`top-up.changed`, carried to the customer's live stream), relays orders' outbox
 * (`payment.requested`, `refund.requested`, `void.requested`, `order.paid`, `order.cancelled`,
 * `order.returned`)
 * and runs the reconciler.
 */
import type { ConsumerOptions } from '@shop/shared/messaging/consumer'
import type { Sql } from '@shop/shared/data/db'
import { every } from '@shop/shared/runtime/lifecycle'
import type { Logger } from '@shop/shared/runtime/logger'
import { createServiceWorker } from '@shop/shared/messaging/service-worker'
import { counterOf, histogramOf } from '@shop/shared/runtime/metrics'
import type { Registry } from '@shop/shared/runtime/metrics'
import type { CatalogClient } from './catalog-client.ts'
import { paymentDeclined, paymentRefunded, paymentSucceeded, paymentVoided } from './jobs/payment-events.ts'
import { topUpChanged } from './jobs/top-up-changed.ts'
import { Quarantine, RECONCILER_ACTIONS, reconcile } from './reconciler.ts'

/** The reconciler's actions by kind and outcome, each at 0 from the start (so dashboards find the series). */
function reconcilerActions(registry: Registry) {
  const actions = counterOf(registry, 'shop_reconciler_actions_total', "The orders reconciler's actions, by action and outcome", ['action', 'outcome'])
  for (const action of RECONCILER_ACTIONS) for (const outcome of ['done', 'failed']) actions.inc({ action, outcome }, 0)
  return actions
}

export interface OrdersWorkerDeps {
  /** The process's Prometheus registry (business metrics). */
  registry?: Registry
  sql: Sql
  schema: string
  redisUrl: string
  prefix: string
  log: Logger
  catalog: CatalogClient
  timeoutSeconds: number
  reconcileIntervalMs: number
  /** Payments is asked again for an overdue answer after this long, doubling up to `reaskMaxSeconds` (defaults 5 and 60). */
  reaskSeconds?: number
  reaskMaxSeconds?: number
  concurrency?: number
  afterCommit?: ConsumerOptions<'orders'>['afterCommit']
}

export function createOrdersWorker(deps: OrdersWorkerDeps) {
  const handlerDeps = {
    schema: deps.schema,
    log: deps.log,
    paidAfter:
      deps.registry &&
      histogramOf(deps.registry, 'shop_order_paid_seconds', 'From an order created to it turning PAID (the payment taken and its answer applied)', [], [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]),
  }
  const worker = createServiceWorker({
    registry: deps.registry,
    queue: 'orders',
    schema: deps.schema,
    sql: deps.sql,
    redisUrl: deps.redisUrl,
    prefix: deps.prefix,
    log: deps.log,
    concurrency: deps.concurrency ?? 16,
    afterCommit: deps.afterCommit,
    // In a batch, events of one customer run in turn: an order is read, then written, and every
    // change appends to the customer's history stream, whose row lock serialises them anyway.
    // Keyed by customer, a batch's lanes (started in key order) take the stream locks in one
    // order in every batch; keyed by order, two batches took them in opposite orders and deadlocked.
    batchKey: (event) => (event.payload as { userId: string }).userId,
    handlers: {
      'payment.succeeded': paymentSucceeded(handlerDeps),
      'payment.declined': paymentDeclined(handlerDeps),
      'payment.refunded': paymentRefunded(handlerDeps),
      'payment.voided': paymentVoided(handlerDeps),
      'top-up.changed': topUpChanged(handlerDeps),
    },
  })
  const reconcileDeps = {
    sql: deps.sql,
    schema: deps.schema,
    log: deps.log,
    catalog: deps.catalog,
    timeoutSeconds: deps.timeoutSeconds,
    reaskSeconds: deps.reaskSeconds ?? 5,
    reaskMaxSeconds: deps.reaskMaxSeconds ?? 60,
    dispatcher: worker.dispatcher,
    quarantine: new Quarantine(),
    actions: deps.registry && reconcilerActions(deps.registry),
  }
  let reconciler: ReturnType<typeof every> | undefined
  // One pass at a time: a slow pass (the catalog down, a backlog) is not overlapped by the next.
  let passing: Promise<number> | undefined
  const pass = () => (passing ??= reconcile(reconcileDeps).finally(() => (passing = undefined)))
  return {
    ...worker,
    reconcile: pass,
    async start() {
      await worker.start()
      reconciler = every(deps.log, 'orders reconciled', deps.reconcileIntervalMs, pass)
    },
    async stop() {
      await reconciler?.run()
      await worker.stop()
    },
  }
}

// The entry of the worker process (the manifest imports this file for the factory above).
if (import.meta.main) {
  const [{ runWorker }, { orders }] = await Promise.all([import('@shop/shared/runtime/service'), import('../service.ts')])
  await runWorker(orders)
}
