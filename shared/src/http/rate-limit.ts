/**
 * A fixed-window rate limiter in Redis: one INCR + PEXPIRE per check, atomic in a Lua script,
 * so every instance of a service shares the same counters.
 */
import type { Redis } from 'ioredis'
import { RateLimitedError, ServiceUnavailableError } from './errors.ts'

const SCRIPT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return { n, ttl }
`

export interface RateLimitRule {
  /** Attempts allowed per window. */
  limit: number
  windowMs: number
}

export interface RateLimiter {
  /** Counts one attempt for `key`; throws `RateLimitedError` (429 + Retry-After) past the limit. */
  hit(key: string, rule: RateLimitRule): Promise<void>
  /** Forgets the attempts counted for `key`. */
  reset(key: string): Promise<void>
}

export function createRateLimiter(redis: Redis, prefix: string): RateLimiter {
  return {
    async hit(key, rule) {
      let count: number
      let ttl: number
      try {
        ;[count, ttl] = (await redis.eval(SCRIPT, 1, `${prefix}:rl:${key}`, rule.windowMs)) as [number, number]
      } catch {
        // Fail closed: without counters a brute-force attempt would be unlimited.
        throw new ServiceUnavailableError('Rate limiting is unavailable; try again shortly')
      }
      if (count > rule.limit) throw new RateLimitedError(Math.max(1, Math.ceil(ttl / 1000)))
    },
    async reset(key) {
      await redis.del(`${prefix}:rl:${key}`).catch(() => {})
    },
  }
}
