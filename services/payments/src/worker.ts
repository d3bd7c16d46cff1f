/**
 * The payments worker process: consumes `payment.requested` and `refund.requested`, and relays
 * payments' outbox (`payment.succeeded`, `payment.declined`, `payment.refunded`) to BullMQ.
 * Several can run at once: jobs are taken by one worker each, outbox rows by one relay each.
 */
import { Consumer, type ConsumerOptions } from '@shop/shared/consumer'
import type { Sql } from '@shop/shared/db'
import type { Logger } from '@shop/shared/logger'
import { runWorkerProcess } from '@shop/shared/worker-main'
import { OutboxRelay } from '@shop/shared/outbox'
import { Queues, producerConnection } from '@shop/shared/queue'
import { migratePayments } from './bootstrap.ts'
import { SCHEMA, readConfig } from './config.ts'
import { paymentRequested } from './jobs/payment-requested.ts'
import { refundRequested } from './jobs/refund-requested.ts'

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
  const consumer = new Consumer({
    queue: 'payments',
    sql: deps.sql,
    redisUrl: deps.redisUrl,
    prefix: deps.prefix,
    log: deps.log,
    concurrency: deps.concurrency,
    lockDurationMs: deps.lockDurationMs,
    stalledIntervalMs: deps.stalledIntervalMs,
    afterCommit: deps.afterCommit,
    handlers: {
      'payment.requested': paymentRequested(processing),
      'refund.requested': refundRequested(processing),
    },
  })
  const producer = producerConnection(deps.redisUrl)
  const queues = new Queues(producer, deps.prefix)
  const relay = new OutboxRelay({ sql: deps.sql, schema: deps.schema, queues, log: deps.log })
  return {
    consumer,
    relay,
    queues,
    pruneInbox: () => consumer.pruneInbox(),
    async start() {
      await relay.start()
      consumer.start()
    },
    async stop() {
      await consumer.close(10_000)
      await relay.stop()
      await queues.close(3000)
      producer.disconnect()
    },
  }
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
