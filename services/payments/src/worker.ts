/**
 * The payments worker process: consumes `payment.requested`, `refund.requested` and
 * `void.requested`, and relays payments' outbox (`payment.succeeded`, `payment.declined`,
 * `payment.refunded`, `payment.voided`) to BullMQ.
 * Several can run at once: jobs are taken by one worker each, outbox rows by one relay each.
 */
import type { ConsumerOptions } from '@shop/shared/messaging/consumer'
import type { Registry } from '@shop/shared/runtime/metrics'
import type { Sql } from '@shop/shared/data/db'
import type { Logger } from '@shop/shared/runtime/logger'
import { createServiceWorker } from '@shop/shared/messaging/service-worker'
import { every } from '@shop/shared/runtime/lifecycle'
import type { PaymentProvider } from './modules/top-ups/provider.ts'
import { pruneEvents } from './modules/top-ups/repository.ts'
import { createTopUpsService } from './modules/top-ups/service.ts'
import { paymentRequested } from './jobs/payment-requested.ts'
import { refundRequested } from './jobs/refund-requested.ts'
import { voidRequested } from './jobs/void-requested.ts'

export interface WorkerDeps {
  /** The process's Prometheus registry (business metrics). */
  registry?: Registry
  sql: Sql
  schema: string
  redisUrl: string
  prefix: string
  log: Logger
  concurrency: number
  lockDurationMs?: number
  stalledIntervalMs?: number
  /** Fault injection (tests, the chaos run): runs after each commit, before the ack. */
  afterCommit?: ConsumerOptions<'payments'>['afterCommit']
  /**
   * Top-ups to recheck: `provider` takes new ones, `providers` are all the shop has keys for (a
   * Stripe top-up is still asked about after a switch back to demo). Demo ones settle at once.
   */
  topUps?: { provider: PaymentProvider; providers?: PaymentProvider[]; recheckSeconds: number; expiryHours: number; intervalMs?: number }
}

/** The consumer and the relay of payments, not yet started. */
export function createPaymentsWorker(deps: WorkerDeps) {
  const processing = { schema: deps.schema, log: deps.log }
  const worker = createServiceWorker({
    registry: deps.registry,
    queue: 'payments',
    schema: deps.schema,
    sql: deps.sql,
    redisUrl: deps.redisUrl,
    prefix: deps.prefix,
    log: deps.log,
    concurrency: deps.concurrency,
    lockDurationMs: deps.lockDurationMs,
    stalledIntervalMs: deps.stalledIntervalMs,
    afterCommit: deps.afterCommit,
    // In a batch, events of one wallet run in turn (a payment reads the wallet's balance, then books); others side by side.
    batchKey: (event) => (event.payload as { userId: string }).userId,
    handlers: {
      'payment.requested': paymentRequested(processing),
      'refund.requested': refundRequested(processing),
      'void.requested': voidRequested(processing),
    },
  })
  const options = deps.topUps
  if (!options || ![options.provider, ...(options.providers ?? [])].some((p) => p.name !== 'demo')) return worker
  const topUps = createTopUpsService({
    sql: deps.sql,
    log: deps.log,
    provider: options.provider,
    providers: options.providers,
    registry: deps.registry,
    recheckSeconds: options.recheckSeconds,
    expiryHours: options.expiryHours,
  })
  // One pass at a time: a slow provider is not asked twice about the same rows by overlapping passes.
  let passing: Promise<number> | undefined
  const recheck = () => (passing ??= topUps.recheck().finally(() => (passing = undefined)))
  const timers: ReturnType<typeof every>[] = []
  return {
    ...worker,
    async start() {
      await worker.start()
      timers.push(every(deps.log, 'top-ups rechecked', options.intervalMs ?? Math.min(60_000, options.recheckSeconds * 1000), recheck))
      // Stripe retries an event for three days; a month of ids is kept for the inbox to recognise.
      timers.push(every(deps.log, 'provider events pruned', 3600_000, () => pruneEvents(deps.sql, 30)))
    },
    async stop() {
      for (const timer of timers) await timer.run()
      await passing?.catch(() => {})
      await worker.stop()
    },
  }
}

// The entry of the worker process (the manifest imports this file for the factory above).
if (import.meta.main) {
  const [{ runWorker }, { payments }] = await Promise.all([import('@shop/shared/runtime/service'), import('../service.ts')])
  await runWorker(payments)
}
