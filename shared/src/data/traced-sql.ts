/**
 * Query spans for the `postgres` client, which has no instrumentation of its own: while tracing is
 * on, the pool (and every transaction it opens) is wrapped so that each query run gets a client
 * span named after the repository function that made it (`orders/repository.lockById`), with
 * no SQL values in it. Off, the pool is returned as it is.
 *
 * The span starts when the query is awaited (a fragment placed inside another statement is never
 * awaited, so it gets none) and ends when its answer or error comes back.
 */
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api'
import { tracingEnabled } from '../runtime/tracing.ts'
import type { Sql } from './db.ts'

const HERE = 'traced-sql.ts'

/** `service-folder/file.function` of the first caller outside this file and the client. */
function callerName(): string {
  const stack = new Error().stack?.split('\n').slice(1) ?? []
  for (const frame of stack) {
    if (frame.includes(HERE) || frame.includes('node_modules')) continue
    const m = /at (?:async )?([\w.$<>]+) \((?:.*\/)?([\w-]+)\/([\w-]+)\.ts:\d+:\d+\)/.exec(frame)
    if (m) return `${m[2]}/${m[3]}.${m[1]!.replace(/^Object\./, '')}`
    const anonymous = /\((?:.*\/)?([\w-]+)\/([\w-]+)\.ts:\d+:\d+\)/.exec(frame) ?? /at (?:.*\/)?([\w-]+)\/([\w-]+)\.ts:\d+:\d+/.exec(frame)
    if (anonymous) return `${anonymous[1]}/${anonymous[2]}`
  }
  return 'sql'
}

interface Thenable {
  then(resolve?: (value: unknown) => unknown, reject?: (error: unknown) => unknown): Promise<unknown>
}

function traceQuery(query: Thenable): void {
  const name = callerName()
  const then = query.then
  let started = false
  query.then = function (this: Thenable, resolve, reject) {
    if (started) return then.call(this, resolve, reject)
    started = true
    const span = trace.getTracer('shop').startSpan(name, { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql' } }, context.active())
    return then.call(
      this,
      (value) => {
        span.end()
        return resolve ? resolve(value) : value
      },
      (error) => {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message })
        span.end()
        if (reject) return reject(error)
        throw error
      },
    )
  }
}

function wrap<T extends object>(target: T): T {
  return new Proxy(target, {
    apply(fn, thisArg, args: unknown[]) {
      const result = Reflect.apply(fn as (...a: unknown[]) => unknown, thisArg, args)
      // A tagged template (a query), not sql(identifier) or sql(rows).
      const tagged = Array.isArray(args[0]) && 'raw' in (args[0] as object)
      if (tagged && result && typeof (result as Thenable).then === 'function') traceQuery(result as Thenable)
      return result
    },
    get(fn, prop) {
      const value = Reflect.get(fn, prop, fn) as unknown
      if (typeof value !== 'function') return value
      // A transaction (or savepoint) gets its own wrapped handle.
      if (prop === 'begin' || prop === 'savepoint')
        return (...args: unknown[]) => {
          const work = args.pop() as (tx: object) => unknown
          return (value as (...a: unknown[]) => unknown).call(fn, ...args, (tx: object) => work(wrap(tx)))
        }
      return (value as (...a: unknown[]) => unknown).bind(fn)
    },
  })
}

/** The pool with query spans while tracing is on; the pool itself otherwise. */
export function tracedSql(sql: Sql): Sql {
  return tracingEnabled() ? wrap(sql) : sql
}
