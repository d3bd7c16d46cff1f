/**
 * Forwarding to the services: same path and query, bodies streamed both ways (an SSE response
 * flows through as it is written), hop-by-hop headers dropped, `x-request-id` and
 * `x-forwarded-*` set. An upstream that cannot be reached is a 502 problem, one that does not
 * answer in time a 504: the client never hangs.
 */
import { AppError } from '@shop/shared/http/errors'
import { traceHeaders } from '@shop/shared/runtime/tracing'
import { PayloadTooLargeError } from '@shop/shared/http/request-guards'
import { bodyLimitFor, pathOf } from '@shop/shared/http/uploads'
import type { ServiceName } from './routes-table.ts'

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
  baseUrl: string
  requestId: string
  /** The client as the gateway decided it (shared/src/http/client-address.ts): the only X-Forwarded-For the service sees. */
  clientAddress: string
  timeoutMs: number
  /** The largest body passed on; a longer one (sent without Content-Length) ends in a 413. */
  maxBodyBytes: number
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

export async function forward(request: Request, options: ForwardOptions): Promise<Response> {
  const incoming = new URL(request.url)
  const target = new URL(incoming.pathname + incoming.search, options.baseUrl)
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
  const body = !hasBody ? undefined : request.headers.has('content-length') ? { stream: request.body!, exceeded: () => false } : capped(request.body!, maxBytes)
  let upstream: Response
  try {
    upstream = await fetch(target, {
      method: request.method,
      headers,
      body: body?.stream,
      // @ts-expect-error Bun streams request bodies with duplex 'half'
      duplex: 'half',
      redirect: 'manual',
      signal: controller.signal,
    })
  } catch {
    clearTimeout(timer)
    if (body?.exceeded()) throw new PayloadTooLargeError(maxBytes)
    if (timedOut) throw new UpstreamTimeoutError(options.service)
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
