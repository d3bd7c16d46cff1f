/**
 * Observability every service shares: `x-request-id` taken or made and echoed, one JSON log line
 * per request, Prometheus metrics (request count and latency by route template and status, plus
 * process metrics) and the `/health`, `/ready`, `/metrics` routes.
 */
import { Elysia, t } from 'elysia'
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Logger } from '../runtime/logger.ts'
import { endServerSpan, startServerSpan } from '../runtime/tracing.ts'
import type { Span } from '@opentelemetry/api'

export const REQUEST_ID_HEADER = 'x-request-id'
/** The trace id of the request's trace, on every answer while tracing is on. */
export const TRACE_ID_HEADER = 'x-trace-id'
const VALID_REQUEST_ID = /^[A-Za-z0-9._\-:]{1,128}$/

/** A named dependency check for `/ready`: resolves when the dependency answers. */
export type ReadinessChecks = Record<string, () => Promise<void>>

export interface ObservabilityOptions {
  service: string
  log: Logger
  checks: ReadinessChecks
  /** One registry per app, so several apps (tests) in one process do not collide. */
  registry?: Registry
}

export interface RequestInfo {
  requestId: string
  start: number
  /** The request's server span, when tracing is on. */
  span?: Span
}

const ReadyBody = t.Object({
  status: t.Union([t.Literal('ready'), t.Literal('unavailable')]),
  checks: t.Record(t.String(), t.String()),
})

/** The request id the plugin gave this request (for outgoing calls), from the handler's `set`. */
export function requestIdOf(set: { headers: Record<string, unknown> }): string | undefined {
  const id = set.headers[REQUEST_ID_HEADER]
  return typeof id === 'string' ? id : undefined
}

export function observabilityPlugin(options: ObservabilityOptions) {
  const registry = options.registry ?? new Registry()
  registry.setDefaultLabels({ service: options.service })
  collectDefaultMetrics({ register: registry })
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  })
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency in seconds, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  })
  const info = new WeakMap<Request, RequestInfo>()
  const log = options.log

  return new Elysia({ name: `shop.observability.${options.service}` })
    .onRequest(({ request, set }) => {
      const incoming = request.headers.get(REQUEST_ID_HEADER)
      const requestId = incoming && VALID_REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID()
      const span = startServerSpan(request, requestId)
      info.set(request, { requestId, start: performance.now(), span })
      set.headers[REQUEST_ID_HEADER] = requestId
      // The trace this answer belongs to, for a support ticket or a search in Jaeger.
      if (span) set.headers[TRACE_ID_HEADER] = span.spanContext().traceId
    })
    .onAfterResponse({ as: 'global' }, ({ request, route, set, responseValue }) => {
      const entry = info.get(request)
      const seconds = entry ? (performance.now() - entry.start) / 1000 : 0
      const status = responseValue instanceof Response ? responseValue.status : typeof set.status === 'number' ? set.status : 200
      const template = route || 'unmatched'
      const labels = { method: request.method, route: template, status: String(status) }
      requests.inc(labels)
      duration.observe(labels, seconds)
      endServerSpan(entry?.span, `${request.method} ${template}`, status)
      if (template === '/health' || template === '/metrics') return
      log.info('request', {
        requestId: entry?.requestId,
        method: request.method,
        route: template,
        path: new URL(request.url).pathname,
        status,
        ms: Math.round(seconds * 10000) / 10,
      })
    })
    .get('/health', () => ({ status: 'ok' as const, service: options.service }), {
      response: { 200: t.Object({ status: t.Literal('ok'), service: t.String() }) },
      detail: { tags: ['operations'], summary: 'The process is alive (no I/O)' },
    })
    .get(
      '/ready',
      async ({ status }) => {
        const results = await Promise.all(
          Object.entries(options.checks).map(async ([name, check]) => {
            try {
              await check()
              return [name, 'up'] as const
            } catch (error) {
              return [name, `down: ${error instanceof Error ? error.message : 'unknown error'}`] as const
            }
          }),
        )
        const checks = Object.fromEntries(results)
        const ready = results.every(([, state]) => state === 'up')
        if (!ready) log.warn('not ready', { checks })
        return ready ? { status: 'ready' as const, checks } : status(503, { status: 'unavailable' as const, checks })
      },
      {
        response: { 200: ReadyBody, 503: ReadyBody },
        detail: { tags: ['operations'], summary: 'Postgres and Redis answer' },
      },
    )
    .get(
      '/metrics',
      async ({ set }) => {
        set.headers['content-type'] = registry.contentType
        return registry.metrics()
      },
      {
        response: { 200: t.String({ description: 'Prometheus text exposition format' }) },
        detail: { tags: ['operations'], summary: 'Prometheus metrics' },
      },
    )
}
