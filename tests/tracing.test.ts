/**
 * One trace from the click to the wallet: the system runs as separate processes (`bun run start`)
 * with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a small OTLP/HTTP receiver this test runs. One order
 * placed through the gateway leaves one trace whose spans come from the gateway, the orders API,
 * the payments worker and the orders worker, each the child of the one before (through the outbox
 * and two queues) and to the customer's live stream, with a span per SQL query named by its repository function; every answer carries
 * its trace id, and the processes' log lines carry it too.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { waitFor } from '@shop/shared/testing'
import { join } from 'node:path'
import { openSse } from './sse.ts'
import { jsonAt, ownStores, portEnv, readUntil } from './spawned.ts'

const ROOT = join(import.meta.dir, '..')
const { databaseUrl, queuePrefix, create, drop } = ownStores('tracing')

interface ReceivedSpan {
  service: string
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  start: bigint
}

/** An OTLP/HTTP receiver: the JSON trace exports posted to /v1/traces, flattened. */
const spans: ReceivedSpan[] = []
const receiver = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  async fetch(request) {
    if (request.method !== 'POST' || new URL(request.url).pathname !== '/v1/traces') return new Response('not found', { status: 404 })
    const body = (await request.json()) as {
      resourceSpans: {
        resource: { attributes: { key: string; value: { stringValue?: string } }[] }
        scopeSpans: { spans: { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; startTimeUnixNano: string }[] }[]
      }[]
    }
    for (const rs of body.resourceSpans) {
      const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '?'
      for (const ss of rs.scopeSpans)
        for (const s of ss.spans)
          spans.push({ service, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || undefined, name: s.name, kind: s.kind, start: BigInt(s.startTimeUnixNano) })
    }
    return Response.json({})
  },
})

beforeAll(create)
afterAll(async () => {
  receiver.stop(true)
  await drop()
})

describe('tracing across processes', () => {
  test('one order: gateway → orders → (outbox, queue) payments worker → (outbox, queue) orders worker, one trace in causal order', async () => {
    const ports = portEnv()
    const child = Bun.spawn(['bun', 'run', 'start'], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...ports,
        DATABASE_URL: databaseUrl,
        QUEUE_PREFIX: queuePrefix,
        NO_COLOR: '1',
        DEMO_DATA: '1',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}`,
        OTEL_BSP_SCHEDULE_DELAY: '200',
      },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const output: string[] = []
    const reader = (child.stdout as ReadableStream<Uint8Array>).getReader()
    try {
      expect(await readUntil(reader, /press Ctrl-C to stop/, 90_000, output)).toBe(true)
      const json = jsonAt(`http://127.0.0.1:${ports.GATEWAY_PORT}`)
      expect((await json('POST', '/api/auth/register', { email: 'trace@example.com', password: 'correct horse battery', name: 'Trace' })).status).toBe(201)
      const { accessToken } = (await json('POST', '/api/auth/login', { email: 'trace@example.com', password: 'correct horse battery' })).body
      const auth = { authorization: `Bearer ${accessToken}` }
      await json('POST', '/api/wallet', { currency: 'EUR' }, auth)
      await json('POST', '/api/wallet/deposits', { amount: 100_000 }, { ...auth, 'idempotency-key': 'trace-deposit' })
      const product = (await json('GET', '/api/products?limit=1&sort=price')).body.items[0] as { id: string }

      // The customer watches their orders live: each push joins the trace of the change it tells.
      const stream = await openSse(`http://127.0.0.1:${ports.GATEWAY_PORT}/api/orders/events`, auth)
      expect(stream.status).toBe(200)
      // The client starts the trace (W3C traceparent); the gateway continues it.
      const clientTrace = crypto.randomUUID().replaceAll('-', '')
      const order = await json('POST', '/api/orders', { items: [{ productId: product.id, quantity: 1 }] }, { ...auth, 'idempotency-key': 'trace-order', traceparent: `00-${clientTrace}-${'1'.repeat(16)}-01` })
      expect(order.status).toBe(202)
      expect(order.headers.get('x-trace-id')).toBe(clientTrace)
      await waitFor(async () => (await json('GET', `/api/orders/${order.body.id}`, undefined, auth)).body.status === 'PAID', 20_000, 100)

      // The orders worker's span for payments' answer closes the chain.
      const ofTrace = () => spans.filter((s) => s.traceId === clientTrace)
      // Each process sends its spans on its own beat: wait until every one's are in.
      const arrived = (service: string, name: (n: string) => boolean) => ofTrace().some((s) => s.service === service && name(s.name))
      await waitFor(
        () =>
          arrived('gateway', (n) => n.startsWith('POST')) &&
          arrived('orders', (n) => n === 'POST /api/orders') &&
          arrived('catalog', () => true) &&
          arrived('payments-worker', (n) => n === 'process payment.requested') &&
          arrived('orders-worker', (n) => n === 'process payment.succeeded'),
        20_000,
        100,
      )
      const trace = ofTrace()
      const byId = new Map(trace.map((s) => [s.spanId, s]))
      const gateway = trace.find((s) => s.service === 'gateway' && s.name.startsWith('POST'))!
      const api = trace.find((s) => s.service === 'orders' && s.name === 'POST /api/orders')!
      const payment = trace.find((s) => s.service === 'payments-worker' && s.name === 'process payment.requested')!
      const answer = trace.find((s) => s.service === 'orders-worker' && s.name === 'process payment.succeeded')!
      expect({ gateway: !!gateway, api: !!api, payment: !!payment, answer: !!answer }).toEqual({ gateway: true, api: true, payment: true, answer: true })
      // Each the child of the one before, and later.
      expect(gateway.parentSpanId).toBe('1'.repeat(16))
      expect(api.parentSpanId).toBe(gateway.spanId)
      expect(payment.parentSpanId).toBe(api.spanId)
      expect(answer.parentSpanId).toBe(payment.spanId)
      expect(gateway.start <= api.start && api.start <= payment.start && payment.start <= answer.start).toBe(true)
      // The catalog's reservation joined it too, and no span points at a parent outside the trace but the client's.
      expect(trace.some((s) => s.service === 'catalog')).toBe(true)
      for (const s of trace) if (s !== gateway && s.parentSpanId) expect({ span: s.name, parentKnown: byId.has(s.parentSpanId) }).toEqual({ span: s.name, parentKnown: true })
      // The live stream's pushes: 'created' from the API's transaction, 'paid' from the orders worker's.
      await waitFor(() => ofTrace().filter((s) => s.name === 'sse push order event').length >= 2, 10_000, 100)
      const pushes = ofTrace().filter((s) => s.name === 'sse push order event')
      expect(pushes.map((p) => p.parentSpanId).sort()).toEqual([api.spanId, answer.spanId].sort())
      stream.close()
      // Queries are spans too, named by the repository function that ran them, never with values.
      const queries = trace.filter((s) => s.kind === 3 && s.name !== 'POST' && !s.name.startsWith('POST '))
      const queriesOf = (service: string, parent: ReceivedSpan) => queries.filter((q) => q.service === service && q.parentSpanId === parent.spanId).map((q) => q.name)
      expect(queriesOf('orders', api).some((name) => /^orders\/repository\./.test(name))).toBe(true)
      expect(queriesOf('payments-worker', payment).length).toBeGreaterThan(0)
      for (const q of queries) expect({ query: q.name, values: q.name.includes(order.body.id) || q.name.includes('trace@example.com') }).toEqual({ query: q.name, values: false })
      // The log lines of the processes that took part carry the trace id (read as they come).
      for (const service of ['gateway', 'orders', 'catalog', 'payments-worker'])
        await readUntil(reader, new RegExp(`"service":"${service}"[^\\n]*"traceId":"${clientTrace}"`), 5000, output)
      const logged = new Set(
        output
          .join('')
          .split('\n')
          .map((line) => line.slice(line.indexOf('| ') + 2))
          .flatMap((json) => {
            try {
              const entry = JSON.parse(json) as { service?: string; traceId?: string }
              return entry.traceId === clientTrace ? [entry.service] : []
            } catch {
              return []
            }
          }),
      )
      for (const service of ['gateway', 'orders', 'catalog', 'payments-worker']) expect({ service, logged: logged.has(service) }).toEqual({ service, logged: true })
    } finally {
      child.kill('SIGINT')
      await Promise.race([child.exited, Bun.sleep(20_000)])
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  }, 150_000)
})
