/**
 * What a service's worker is made of (the process around it is `runWorker` in service.ts).
 */
import { Consumer, type ConsumerOptions } from './consumer.ts'
import type { QueueName } from '../domain/contracts.ts'
import { OutboxDispatcher } from './outbox-dispatcher.ts'
import { OutboxRelay } from './outbox-relay.ts'
import { Queues, producerConnection } from './queue.ts'
import type { Registry } from 'prom-client'
import type { Sql } from '../data/db.ts'
import { gaugeOf } from '../runtime/metrics.ts'

/**
 * What a worker tells Prometheus at each scrape: its outbox (rows not yet sent and the age of the
 * oldest: a relay or Redis in trouble), its dead letters, and its queue's jobs by state.
 */
export function workerGauges(registry: Registry, sql: Sql, queues: Queues, queue: QueueName, options: { outbox: boolean } = { outbox: true }): void {
  if (options.outbox) {
    // Both from the partial index of unsent rows (outbox_pending): cheap however long the outbox.
    gaugeOf(registry, 'shop_outbox_unsent', 'Outbox rows of this service not yet sent to BullMQ', [], async (g) => {
      const [row] = await sql<{ count: number }[]>`select count(*)::int as count from outbox where sent_at is null`
      g.set(row!.count)
    })
    gaugeOf(registry, 'shop_outbox_oldest_unsent_seconds', 'Age of the oldest outbox row not yet sent (0 when none)', [], async (g) => {
      const [row] = await sql<{ age: number | null }[]>`select extract(epoch from now() - min(occurred_at))::float8 as age from outbox where sent_at is null`
      g.set(row!.age ?? 0)
    })
  }
  gaugeOf(registry, 'shop_dead_letters', 'Messages this service gave up on (dead_letters), by queue', ['queue'], async (g) => {
    g.reset()
    g.set({ queue }, 0)
    for (const row of await sql<{ queue: string; count: number }[]>`select queue, count(*)::int as count from dead_letters group by queue`) g.set({ queue: row.queue }, row.count)
  })
  gaugeOf(registry, 'shop_queue_jobs', "This service's queue, jobs by state (BullMQ)", ['queue', 'state'], async (g) => {
    const counts = await queues.get(queue).getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized')
    for (const [state, count] of Object.entries(counts)) g.set({ queue, state }, Number(count))
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
  const dispatcher = new OutboxDispatcher({ sql: options.sql, queues, log: options.log, registry: options.registry })
  const consumer = new Consumer({ ...options, dispatcher })
  if (options.registry) workerGauges(options.registry, options.sql, queues, options.queue)
  const relay = new OutboxRelay({ sql: options.sql, queues, log: options.log })
  return {
    consumer,
    relay,
    queues,
    dispatcher,
    pruneInbox: () => consumer.pruneInbox(),
    /** Resolves while the consumer takes jobs (the worker's `/ready`). */
    ready: () => consumer.ready(),
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
