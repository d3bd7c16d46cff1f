/**
 * OpenTelemetry tracing, on when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (spans go there over
 * OTLP/HTTP, JSON) and nothing at all otherwise: the SDK is not even loaded, and every helper
 * here returns at once.
 *
 * The active context lives in an AsyncLocalStorage of our own: an HTTP request's server span is
 * entered when the request arrives (`enterContext`) and stays active through its handler, so a
 * transaction that writes outbox rows stamps each with the trace it belongs to; a consumer
 * continues that trace when it takes the event. Tracers are taken when a span starts, never
 * at import: taken before the SDK registered, they would stay no-ops.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type Attributes,
  type Context,
  type ContextManager,
  type Span,
} from '@opentelemetry/api'
import type { Env } from './service.ts'

const storage = new AsyncLocalStorage<Context>()

/** The context manager the API uses: our storage. */
class StorageContextManager implements ContextManager {
  active(): Context {
    return storage.getStore() ?? ROOT_CONTEXT
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return storage.run(ctx, () => fn.apply(thisArg, args))
  }
  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target
    const fn = target as unknown as (...args: unknown[]) => unknown
    return ((...args: unknown[]) => storage.run(ctx, () => fn(...args))) as T
  }
  enable(): this {
    return this
  }
  disable(): this {
    return this
  }
}

let enabled = false

/** Whether spans are recorded (an exporter is configured). */
export const tracingEnabled = () => enabled

export interface Tracing {
  /** Sends what is buffered and stops. */
  stop(): Promise<void>
}

/**
 * Starts the SDK for the process `service` when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (the base
 * URL; spans are posted to `<endpoint>/v1/traces`); undefined otherwise.
 */
export async function startTracing(service: string, env: Env = process.env): Promise<Tracing | undefined> {
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT
  if (!endpoint) return undefined
  const [{ BasicTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }, { W3CTraceContextPropagator }] = await Promise.all([
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/core'),
  ])
  const exporter = new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` })
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: Number(env.OTEL_BSP_SCHEDULE_DELAY ?? 1000) })],
  })
  context.setGlobalContextManager(new StorageContextManager())
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  trace.setGlobalTracerProvider(provider)
  enabled = true
  return {
    async stop() {
      enabled = false
      await provider.shutdown().catch(() => {})
    },
  }
}

const tracer = () => trace.getTracer('shop')

/** Makes `ctx` the active context for the rest of this asynchronous flow (a request's hooks and handler). */
export function enterContext(ctx: Context): void {
  storage.enterWith(ctx)
}

/** The trace id of the active span, if tracing is on and one is active (for log lines). */
export function activeTraceId(): string | undefined {
  if (!enabled) return undefined
  return trace.getSpan(context.active())?.spanContext().traceId
}

/** W3C `traceparent` (and `tracestate`) of the active context, to send along; empty when off. */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> {
  if (!enabled) return {}
  const carrier: Record<string, string> = {}
  propagation.inject(ctx, carrier)
  return carrier
}

/** The context a received `traceparent` names (the root context when absent or tracing is off). */
export function contextFrom(carrier: Record<string, string | undefined> | undefined): Context {
  if (!enabled || !carrier) return ROOT_CONTEXT
  return propagation.extract(ROOT_CONTEXT, carrier, {
    get: (c, key) => c[key] ?? undefined,
    keys: (c) => Object.keys(c),
  })
}

/**
 * A server span for an incoming request, continuing the caller's trace from its headers; entered
 * as the active context. Undefined (and nothing parsed) when tracing is off.
 */
export function startServerSpan(request: Request, requestId: string): Span | undefined {
  if (!enabled) return undefined
  const attributes = { 'http.request.method': request.method, 'url.path': new URL(request.url).pathname, 'shop.request_id': requestId }
  const parent = propagation.extract(ROOT_CONTEXT, request.headers, {
    get: (h, key) => h.get(key) ?? undefined,
    keys: (h) => {
      const names: string[] = []
      h.forEach((_, name) => names.push(name))
      return names
    },
  })
  const span = tracer().startSpan(request.method, { kind: SpanKind.SERVER, attributes }, parent)
  enterContext(trace.setSpan(parent, span))
  return span
}

/** Ends a request's span with its route and status (5xx is an error). */
export function endServerSpan(span: Span | undefined, name: string, status: number): void {
  if (!span) return
  span.updateName(name)
  span.setAttribute('http.response.status_code', status)
  if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
  span.end()
}

/**
 * Runs `work` in a span named `name` (a child of `parent`, else of the active context), active
 * while it runs; the span records a thrown error. Without tracing, just runs `work`.
 */
export async function inSpan<T>(name: string, options: { kind?: SpanKind; parent?: Context; attributes?: Attributes }, work: () => Promise<T>): Promise<T> {
  if (!enabled) return work()
  const parent = options.parent ?? context.active()
  const span = tracer().startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes }, parent)
  try {
    return await context.with(trace.setSpan(parent, span), work)
  } catch (error) {
    span.recordException(error as Error)
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message })
    throw error
  } finally {
    span.end()
  }
}

/** A span of no duration for something that happened now (an event pushed to a stream), child of `traceparent`. */
export function recordEvent(name: string, traceparent: string | null | undefined, attributes: Attributes): void {
  if (!enabled || !traceparent) return
  tracer().startSpan(name, { kind: SpanKind.PRODUCER, attributes }, contextFrom({ traceparent })).end()
}

export { SpanKind }
