/**
 * Typed environment reading. Each service's `config.ts` declares what it needs with these
 * readers and calls `loadConfig` once at start; every problem is reported together, naming the
 * variable, so a misconfigured deployment fails fast with one clear message.
 */

import { trustedProxies } from '../http/client-address.ts'

type Env = Record<string, string | undefined>

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`)
    this.name = 'ConfigError'
  }
}

export interface Reader<T> {
  read(env: Env, name: string): T
}

class Problem extends Error {}

function raw(env: Env, name: string): string | undefined {
  const value = env[name]
  return value === undefined || value.trim() === '' ? undefined : value.trim()
}

/** A string; without a default the variable is required. */
export function str(fallback?: string): Reader<string> {
  return {
    read(env, name) {
      const value = raw(env, name) ?? fallback
      if (value === undefined) throw new Problem(`${name} is required`)
      return value
    },
  }
}

/** An optional string: `undefined` when unset. */
export function optionalStr(): Reader<string | undefined> {
  return { read: (env, name) => raw(env, name) }
}

/** An integer within [min, max]. */
export function int(fallback: number, { min = -Infinity, max = Infinity } = {}): Reader<number> {
  return {
    read(env, name) {
      const text = raw(env, name)
      if (text === undefined) return fallback
      if (!/^-?\d+$/.test(text)) throw new Problem(`${name} must be an integer, got "${text}"`)
      const value = Number(text)
      if (!Number.isSafeInteger(value) || value < min || value > max)
        throw new Problem(`${name} must be between ${min} and ${max}, got ${text}`)
      return value
    },
  }
}

/** A number within [min, max], fractions allowed (durations in seconds such as 0.25). */
export function num(fallback: number, { min = -Infinity, max = Infinity } = {}): Reader<number> {
  return {
    read(env, name) {
      const text = raw(env, name)
      if (text === undefined) return fallback
      if (!/^-?\d+(\.\d+)?$/.test(text)) throw new Problem(`${name} must be a number, got "${text}"`)
      const value = Number(text)
      if (value < min || value > max) throw new Problem(`${name} must be between ${min} and ${max}, got ${text}`)
      return value
    },
  }
}

/** A TCP port (0 lets the OS choose, which tests use). */
export function port(fallback: number): Reader<number> {
  return int(fallback, { min: 0, max: 65535 })
}

/** A URL whose protocol is one of `protocols`. */
export function url(fallback: string | undefined, protocols: string[]): Reader<string> {
  return {
    read(env, name) {
      const value = raw(env, name) ?? fallback
      if (value === undefined) throw new Problem(`${name} is required`)
      let parsed: URL
      try {
        parsed = new URL(value)
      } catch {
        throw new Problem(`${name} is not a valid URL`)
      }
      if (!protocols.includes(parsed.protocol))
        throw new Problem(`${name} must use ${protocols.join(' or ')}, got ${parsed.protocol}`)
      return value
    },
  }
}

/** One URL or several, comma separated (a service's instances); each checked as `url` checks one. */
export function urlList(fallback: string, protocols: string[]): Reader<string[]> {
  const one = url(undefined, protocols)
  return {
    read(env, name) {
      const items = (raw(env, name) ?? fallback).split(',').map((item) => item.trim()).filter(Boolean)
      if (items.length === 0) throw new Problem(`${name} is required`)
      return items.map((item, index) => {
        try {
          return one.read({ [name]: item }, name)
        } catch (error) {
          if (items.length === 1) throw error
          throw new Problem(`${name} (entry ${index + 1}, "${item}"): ${(error as Error).message.replace(`${name} `, '')}`)
        }
      })
    },
  }
}

/** A boolean: 1/true/yes or 0/false/no. */
export function bool(fallback: boolean): Reader<boolean> {
  return {
    read(env, name) {
      const text = raw(env, name)?.toLowerCase()
      if (text === undefined) return fallback
      if (['1', 'true', 'yes', 'on'].includes(text)) return true
      if (['0', 'false', 'no', 'off'].includes(text)) return false
      throw new Problem(`${name} must be true or false, got "${text}"`)
    },
  }
}

/** One of a fixed set of words. */
export function oneOf<const T extends string>(values: readonly T[], fallback: T): Reader<T> {
  return {
    read(env, name) {
      const text = raw(env, name) ?? fallback
      if (!values.includes(text as T)) throw new Problem(`${name} must be one of ${values.join(', ')}, got "${text}"`)
      return text as T
    },
  }
}

/** Reads a value from the first variable that is set, falling back to the reader's default. */
export function firstOf<T>(names: string[], reader: Reader<T>): Reader<T> & { names: string[] } {
  return {
    names,
    read(env) {
      const name = names.find((n) => raw(env, n) !== undefined) ?? names[names.length - 1]!
      return reader.read(env, name)
    },
  }
}

type Spec = Record<string, Reader<unknown>>
type Result<S extends Spec> = { [K in keyof S]: S[K] extends Reader<infer T> ? T : never }

/**
 * Reads every variable of `spec` (keys are the variable names) from `env`.
 * Throws one `ConfigError` listing every missing or invalid variable.
 */
export function loadConfig<S extends Spec>(spec: S, env: Env = process.env): Result<S> {
  const out: Record<string, unknown> = {}
  const problems: string[] = []
  for (const [name, reader] of Object.entries(spec)) {
    try {
      out[name] = reader.read(env, name)
    } catch (error) {
      if (error instanceof Problem) problems.push(error.message)
      else throw error
    }
  }
  if (problems.length) throw new ConfigError(problems)
  return out as Result<S>
}

/** A secret of at least `minLength` characters; required (no default). */
export function secret(minLength = 16): Reader<string> {
  return {
    read(env, name) {
      const value = raw(env, name)
      if (value === undefined) throw new Problem(`${name} is required (a shared secret of at least ${minLength} characters)`)
      if (value.length < minLength) throw new Problem(`${name} must be at least ${minLength} characters`)
      return value
    },
  }
}

/** A comma-separated list of addresses and CIDR blocks (proxies whose X-Forwarded-For is believed); empty by default. */
export function proxyList(fallback = ''): Reader<string[]> {
  return {
    read(env, name) {
      const entries = (raw(env, name) ?? fallback).split(',').map((e) => e.trim()).filter(Boolean)
      const bad = entries.filter((e) => {
        try {
          trustedProxies([e])
          return false
        } catch {
          return true
        }
      })
      if (bad.length) throw new Problem(`${name} must list IP addresses or CIDR blocks, got ${bad.map((b) => `"${b}"`).join(', ')}`)
      return entries
    },
  }
}

/** The variables every service reads, with the contract's defaults. */
export const commonSpec = {
  DATABASE_URL: url('postgres://postgres@127.0.0.1:5432/postgres', ['postgres:', 'postgresql:']),
  /**
   * Connections each process may open to Postgres (its pool; a process that LISTENs opens one
   * more). Every instance of every process counts against the server's max_connections (100 by
   * default): with N instances of each, keep N × 10 processes × this under it.
   */
  DATABASE_POOL_MAX: int(10, { min: 1, max: 200 }),
  REDIS_URL: url('redis://127.0.0.1:6379', ['redis:', 'rediss:']),
  QUEUE_PREFIX: str('shop'),
  LOG_LEVEL: oneOf(['debug', 'info', 'warn', 'error', 'silent'] as const, 'info'),
  JWT_ISSUER: str('shop-users'),
  JWT_AUDIENCE: str('shop'),
}
