/**
 * The entry of a worker process, the same for every service: config already read, Postgres
 * connected and migrated, the service's consumer (and relay) started, inbox pruning every hour,
 * and a bounded, ordered stop on SIGINT/SIGTERM.
 */
import { Consumer, type ConsumerOptions } from '../messaging/consumer.ts'
import type { QueueName } from '../domain/contracts.ts'
import { connectSql, type Sql } from '../data/db.ts'
import { OutboxDispatcher } from '../messaging/outbox-dispatcher.ts'
import { OutboxRelay } from '../messaging/outbox-relay.ts'
import { Queues, producerConnection } from '../messaging/queue.ts'
import { every, onShutdown, runMain } from './lifecycle.ts'
import { createLogger, type Logger, type LogLevel } from './logger.ts'

export interface WorkerHandle {
  start(): Promise<void> | void
  stop(): Promise<unknown>
  pruneInbox(): Promise<number>
}

export interface WorkerProcessOptions {
  name: string
  schema: string
  databaseUrl: string
  logLevel: LogLevel
  migrate: (sql: Sql, schema: string, log: Logger) => Promise<void>
  create: (sql: Sql, log: Logger) => WorkerHandle
  /** What to say in the "worker running" line. */
  describe?: Record<string, unknown>
}

export function runWorkerProcess(options: WorkerProcessOptions): Promise<void> {
  return runMain(options.name, async () => {
    const log = createLogger(options.name, options.logLevel)
    const sql = await connectSql({ url: options.databaseUrl, schema: options.schema, applicationName: options.name })
    await options.migrate(sql, options.schema, log)
    const worker = options.create(sql, log)
    await worker.start()
    onShutdown(
      log,
      [
        every(log, 'inbox pruned', 3600_000, () => worker.pruneInbox()),
        { name: 'worker', run: () => worker.stop() },
        { name: 'postgres', run: () => sql.end({ timeout: 5 }) },
      ],
      15_000,
    )
    log.info('worker running', options.describe ?? {})
  })
}

/**
 * A service's worker: its consumer (with the inbox), the dispatcher that sends the events its
 * handlers publish as they commit, and the relay of its outbox, started and stopped together (the
 * relay first on start; the consumer first on stop, so no new effects are made while the
 * dispatcher and the relay drain).
 */
export function createServiceWorker<Q extends QueueName>(options: ConsumerOptions<Q> & { schema: string }) {
  const producer = producerConnection(options.redisUrl)
  const queues = new Queues(producer, options.prefix)
  const dispatcher = new OutboxDispatcher({ sql: options.sql, queues, log: options.log })
  const consumer = new Consumer({ ...options, dispatcher })
  const relay = new OutboxRelay({ sql: options.sql, queues, log: options.log })
  return {
    consumer,
    relay,
    queues,
    dispatcher,
    pruneInbox: () => consumer.pruneInbox(),
    async start() {
      await relay.start()
      consumer.start()
    },
    async stop() {
      await consumer.close(10_000)
      await dispatcher.stop()
      await relay.stop()
      await queues.close(3000)
      producer.disconnect()
    },
  }
}
