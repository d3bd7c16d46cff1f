/**
 * BullMQ plumbing from its production guide: connections that never give up on a command
 * (workers) or fail fast (producers), retry and removal policies, and a bounded close.
 */
import { Queue, type JobsOptions } from 'bullmq'
import { Redis } from 'ioredis'
import type { QueueName } from '../domain/contracts.ts'

/** How long a completed job is kept: a re-publish with the same job id within it is a no-op. */
export const DEDUP_WINDOW_SECONDS = 24 * 3600

/** Retries: exponential from 500 ms with ±50 % jitter, 10 attempts (about 4 minutes in all). */
export const JOB_OPTIONS: JobsOptions = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 500, jitter: 0.5 },
  removeOnComplete: { age: DEDUP_WINDOW_SECONDS, count: 1_000_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
}

/** A connection for a BullMQ Worker: blocking commands must wait for Redis, never fail. */
export function workerConnection(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true })
  redis.on('error', () => {})
  return redis
}

/** A connection for producers: a command fails after a few seconds so the caller can retry later. */
export function producerConnection(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 3000, commandTimeout: 5000 })
  redis.on('error', () => {})
  return redis
}

/** The producer side of every queue, created on first use. */
export class Queues {
  private readonly queues = new Map<QueueName, Queue>()

  constructor(
    private readonly connection: Redis,
    readonly prefix: string,
  ) {}

  get(name: QueueName): Queue {
    let queue = this.queues.get(name)
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix, defaultJobOptions: JOB_OPTIONS })
      queue.on('error', () => {})
      this.queues.set(name, queue)
    }
    return queue
  }

  async close(timeoutMs = 5000): Promise<void> {
    await closeWithin([...this.queues.values()].map((q) => () => q.close()), timeoutMs)
  }
}

/** Runs the closers in parallel and gives up after `timeoutMs` (a close can hang while Redis is gone). */
export async function closeWithin(closers: (() => Promise<unknown>)[], timeoutMs: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const finished = await Promise.race([
    Promise.allSettled(closers.map((close) => close())).then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs)
    }),
  ])
  clearTimeout(timer)
  return finished
}
