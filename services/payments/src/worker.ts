/**
 * The payments worker process: consumes `payment.requested`, `refund.requested` and
 * `void.requested`, and relays payments' outbox (`payment.succeeded`, `payment.declined`,
 * `payment.refunded`, `payment.voided`) to BullMQ.
 * Several can run at once: jobs are taken by one worker each, outbox rows by one relay each.
 */
import type { ConsumerOptions } from '@shop/shared/messaging/consumer'
import type { Sql } from '@shop/shared/data/db'
import type { Logger } from '@shop/shared/runtime/logger'
import { createServiceWorker, runWorkerProcess } from '@shop/shared/runtime/worker-main'
import { migratePayments } from './bootstrap.ts'
import { SCHEMA, readConfig } from './config.ts'
import { paymentRequested } from './jobs/payment-requested.ts'
import { refundRequested } from './jobs/refund-requested.ts'
import { voidRequested } from './jobs/void-requested.ts'

export interface WorkerDeps {
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
}

/** The consumer and the relay of payments, not yet started. */
export function createPaymentsWorker(deps: WorkerDeps) {
  const processing = { schema: deps.schema, log: deps.log }
  return createServiceWorker({
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
}

if (import.meta.main) {
  const config = readConfig()
  await runWorkerProcess({
    name: 'payments-worker',
    schema: SCHEMA,
    databaseUrl: config.DATABASE_URL,
    logLevel: config.LOG_LEVEL,
    migrate: migratePayments,
    create: (sql, log) =>
      createPaymentsWorker({ sql, schema: SCHEMA, redisUrl: config.REDIS_URL, prefix: config.QUEUE_PREFIX, log, concurrency: config.PAYMENTS_WORKER_CONCURRENCY }),
    describe: { queue: 'payments', concurrency: config.PAYMENTS_WORKER_CONCURRENCY },
  })
}
