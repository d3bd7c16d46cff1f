/**
 * The Postgres client of a service: camelCase columns, the service's own schema first on the
 * search path, bigint parsed to a number (money is integer minor units, always far below 2^53).
 */
import postgres from 'postgres'
import { redactUrl } from '../runtime/lifecycle.ts'

export type Sql = postgres.Sql<{ bigint: number }>
export type Tx = postgres.TransactionSql<{ bigint: number }>
/** Either the pool or a transaction: what repositories take as their first argument. */
export type Db = Sql | Tx
/** A piece of SQL built with a `Db` to place inside another statement (a CTE body, a condition). */
export type Fragment = postgres.PendingQuery<postgres.Row[]>

export interface DbOptions {
  url: string
  /** The service's schema (`users`, `orders`, ...); tests pass one of their own. */
  schema: string
  max?: number
  /** Seconds to wait for a connection before failing. */
  connectTimeout?: number
  applicationName?: string
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

/** Creates the pool. Connections are opened lazily; call `ping` to check the server answers. */
export function createSql(options: DbOptions): Sql {
  if (!SCHEMA_NAME.test(options.schema)) throw new Error(`Invalid schema name "${options.schema}"`)
  return postgres(options.url, {
    max: options.max ?? 10,
    connect_timeout: options.connectTimeout ?? 5,
    idle_timeout: 30,
    onnotice: () => {},
    transform: postgres.camel,
    connection: {
      search_path: `${options.schema},public`,
      application_name: options.applicationName ?? options.schema,
    },
    types: {
      bigint: {
        to: 20,
        from: [20],
        serialize: (value: number) => String(value),
        parse: (value: string) => {
          const n = Number(value)
          if (!Number.isSafeInteger(n)) throw new RangeError(`bigint ${value} exceeds the safe integer range`)
          return n
        },
      },
    },
  }) as unknown as Sql
}

/** Resolves when Postgres answers within `timeoutMs`, rejects otherwise. */
export async function pingSql(sql: Sql, timeoutMs = 2000): Promise<void> {
  await withTimeout(sql`select 1`.execute(), timeoutMs, 'Postgres did not answer')
}

/** Rejects with `message` when `promise` has not settled within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

/** Creates the pool and waits until Postgres answers, failing with the (redacted) URL. */
export async function connectSql(options: DbOptions): Promise<Sql> {
  const sql = createSql(options)
  try {
    await pingSql(sql, 5000)
  } catch (error) {
    await sql.end({ timeout: 1 }).catch(() => {})
    throw new Error(`Postgres at ${redactUrl(options.url)} did not answer (${(error as Error).message})`)
  }
  return sql
}
