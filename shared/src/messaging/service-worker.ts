/**
 * What a service's worker is made of (the process around it is `runWorker` in service.ts).
 */
import { Consumer, type ConsumerOptions } from './consumer.ts'
import type { QueueName } from '../domain/contracts.ts'
import { OutboxDispatcher } from './outbox-dispatcher.ts'
import { OutboxRelay } from './outbox-relay.ts'
import { Queues, producerConnection } from './queue.ts'

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
