/** Redis connections. BullMQ workers need `maxRetriesPerRequest: null`; request paths fail fast. */
import { Redis, type RedisOptions } from 'ioredis'
import { withTimeout } from './db.ts'

export type { Redis }

/**
 * A client for request paths: commands fail after a short time while Redis is down instead of
 * queueing forever, and reconnection goes on in the background.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  const client = new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    connectTimeout: 3000,
    commandTimeout: 3000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    lazyConnect: false,
    ...options,
  })
  // Without a listener ioredis prints every reconnection failure as an unhandled error.
  client.on('error', () => {})
  return client
}

/** Resolves when Redis answers PING within `timeoutMs`. */
export async function pingRedis(redis: Redis, timeoutMs = 2000): Promise<void> {
  const answer = await withTimeout(redis.ping(), timeoutMs, 'Redis did not answer')
  if (answer !== 'PONG') throw new Error(`Redis answered ${answer}`)
}
