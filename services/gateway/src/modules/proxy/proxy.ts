/**
 * Forwarding to the services: same path and query, bodies streamed both ways (an SSE response
 * flows through as it is written), hop-by-hop headers dropped, `x-request-id` and
 * `x-forwarded-*` set. A service may run several instances (balancer.ts): a request that one
 * cannot take goes to another when that is safe. A service none of whose instances can be reached
 * is a 502 problem, one that does not answer in time a 504: the client never hangs.
 */
import { AppError } from '@shop/shared/http/errors'
import { traceHeaders } from '@shop/shared/runtime/tracing'
import { PayloadTooLargeError } from '@shop/shared/http/request-guards'
import { bodyLimitFor, pathOf } from '@shop/shared/http/uploads'
import type { ServiceName } from './routes-table.ts'
import { mayRetry, type Failure, type UpstreamPool } from './balancer.ts'

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
])

export class UpstreamUnavailableError extends AppError<'upstream_unavailable'> {
  constructor(service: ServiceName) {
    super(502, 'upstream_unavailable', `The ${service} service is unavailable; try again shortly`)
  }
}

export class UpstreamTimeoutError extends AppError<'upstream_timeout'> {
  constructor(service: ServiceName) {
    super(504, 'upstream_timeout', `The ${service} service did not answer in time`)
  }
}

export interface ForwardOptions {
  service: ServiceName
  /** The service's instances; a request goes to one, and again to another when that is safe (balancer.ts). */
  pool: UpstreamPool
  requestId: string
  /** The client as the gateway decided it (shared/src/http/client-address.ts): the only X-Forwarded-For the service sees. */
  clientAddress: string
  timeoutMs: number
  /** The largest body passed on; a longer one (sent without Content-Length) ends in a 413. */
  maxBodyBytes: number
  /** Called for each request sent again to another instance (a metric). */
  onRetry?: (service: ServiceName, failure: Failure) => void
  /** Told why a request got no answer from any instance (each try: the instance and how it failed). */
  onUnavailable?: (service: ServiceName, tries: { url: string; failure: string }[]) => void
}

/** `body` passed through, failing once more than `maxBytes` went by; `exceeded()` says whether it did. */
function capped(body: ReadableStream<Uint8Array>, maxBytes: number) {
  let seen = 0
  let over = false
  const stream = body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength
        if (seen > maxBytes) {
          over = true
          controller.error(new PayloadTooLargeError(maxBytes))
          return
        }
        controller.enqueue(chunk)
      },
    }),
  )
  return { stream, exceeded: () => over }
}

function copyHeaders(from: Headers, extra: Record<string, string> = {}): Headers {
  const headers = new Headers()
  from.forEach((value, key) => {
    if (!HOP_BY_HOP.has(key.toLowerCase())) headers.set(key, value)
  })
  for (const [key, value] of Object.entries(extra)) headers.set(key, value)
  return headers
}

/** What one try at one instance came to. */
type Tried = { response: Response } | { failure: Failure | 'timeout' | 'too_large' }

/**
 * Sends the request to one instance after another until one answers or a repeat is not safe
 * (`mayRetry`): a refused connection always moves on; a broken one or a 502/503 answer only for a
 * read or a request with an Idempotency-Key. A body with a Content-Length is read once and sent
 * again as it was; a body sent in chunks goes out as it streams, to one instance only. The
 * timeout covers every try together.
 */
export async function forward(request: Request, options: ForwardOptions): Promise<Response> {
  const incoming = new URL(request.url)
  const headers = copyHeaders(request.headers, {
    'x-request-id': options.requestId,
    // Overwritten, never appended to: what a client wrote there is not passed on.
    'x-forwarded-for': options.clientAddress,
    'x-forwarded-proto': incoming.protocol.replace(':', ''),
    'x-forwarded-host': incoming.host,
    // With tracing on, the service's span is a child of the gateway's (the client's traceparent
    // is its parent); off, a client's traceparent passes through unchanged.
    ...traceHeaders(),
  })
  const controller = new AbortController()
  // The client going away ends the upstream request too (an SSE stream, a slow answer).
  request.signal.addEventListener('abort', () => controller.abort(), { once: true })
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, options.timeoutMs)
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && request.body !== null
  // A Content-Length over the limit was refused before (and Bun reads no more than it declares);
  // only a body sent in chunks is counted on the way.
  const maxBytes = bodyLimitFor(request.method, pathOf(request), options.maxBodyBytes)
  const chunked = hasBody && !request.headers.has('content-length')
  // With one instance there is nowhere else to go: the body streams through untouched.
  const resendable = !chunked && options.pool.urls.length > 1
  const bytes = hasBody && resendable ? await request.arrayBuffer() : undefined
  const stream = hasBody && !resendable ? (chunked ? capped(request.body!, maxBytes) : { stream: request.body!, exceeded: () => false }) : undefined
  const idempotent = request.headers.has('idempotency-key')

  const attempt = async (baseUrl: string): Promise<Tried> => {
    try {
      const response = await fetch(new URL(incoming.pathname + incoming.search, baseUrl), {
        method: request.method,
        headers,
        body: bytes ?? stream?.stream,
        // @ts-expect-error Bun streams request bodies with duplex 'half'
        duplex: 'half',
        redirect: 'manual',
        signal: controller.signal,
      })
      return { response }
    } catch (error) {
      if (stream?.exceeded()) return { failure: 'too_large' }
      if (timedOut) return { failure: 'timeout' }
      return { failure: (error as { code?: string }).code === 'ECONNREFUSED' ? 'refused' : 'broken' }
    }
  }

  const tried = new Set<string>()
  const tries: { url: string; failure: string }[] = []
  let upstream: Response | undefined
  for (;;) {
    const baseUrl = options.pool.pick(tried)!
    tried.add(baseUrl)
    const result = await attempt(baseUrl)
    const failure: Failure | 'timeout' | 'too_large' | undefined =
      'failure' in result ? result.failure : result.response.status === 502 || result.response.status === 503 ? 'unavailable' : undefined
    if ('response' in result) options.pool.markUp(baseUrl)
    else if (result.failure === 'refused') options.pool.markDown(baseUrl)
    if (failure) tries.push({ url: baseUrl, failure })
    const again =
      failure !== undefined && failure !== 'timeout' && failure !== 'too_large' && (bytes !== undefined || !hasBody) && mayRetry(request.method, idempotent, failure) && tried.size < options.pool.urls.length
    if (again) {
      if ('response' in result) await result.response.body?.cancel().catch(() => {})
      options.onRetry?.(options.service, failure)
      continue
    }
    if ('response' in result) {
      upstream = result.response
      break
    }
    clearTimeout(timer)
    if (result.failure === 'too_large') throw new PayloadTooLargeError(maxBytes)
    if (result.failure === 'timeout') throw new UpstreamTimeoutError(options.service)
    options.onUnavailable?.(options.service, tries)
    throw new UpstreamUnavailableError(options.service)
  }
  const streaming = (upstream.headers.get('content-type') ?? '').startsWith('text/event-stream')
  // An event stream is open-ended: once its headers are here, only the client ends it.
  if (streaming) clearTimeout(timer)
  else {
    const body = upstream.body
    if (body) {
      const finish = new TransformStream<Uint8Array, Uint8Array>({ flush: () => clearTimeout(timer) })
      return new Response(body.pipeThrough(finish), { status: upstream.status, headers: copyHeaders(upstream.headers) })
    }
    clearTimeout(timer)
  }
  return new Response(upstream.body, { status: upstream.status, headers: copyHeaders(upstream.headers) })
}
