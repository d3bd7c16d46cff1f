/**
 * The client's live order stream against a scripted server (fetch replaced): it resumes with the
 * last id it saw, comes back at once with a fresh token when the server ends the stream at the
 * token's expiry, and forgets its position at sign-out, so the next user's first events are
 * never skipped.
 */
import { describe, expect, test } from 'bun:test'
import type { OrderEvent } from '../src/shared/api.ts'
import { ShopClient } from '../src/shared/client.ts'

interface StreamRequest {
  token: string | undefined
  lastEventId: string | undefined
}

const event = (seq: number, orderId = 'o-1') =>
  `id: ${seq}\nevent: order\ndata: ${JSON.stringify({ seq, orderId, event: 'created', status: 'NEW', reason: null, at: new Date(0).toISOString() })}\n\n`

/** A fake gateway: logins hand out numbered tokens; each stream request gets the next script. */
function fakeServer(scripts: string[][]) {
  const streams: StreamRequest[] = []
  let issued = 0
  const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } })
  const fetch = async (url: string, init?: RequestInit) => {
    const path = new URL(url).pathname
    const headers = new Headers(init?.headers)
    if (path === '/api/auth/login' || path === '/api/auth/refresh') return json({ accessToken: `access-${++issued}`, refreshToken: `refresh-${issued}` })
    if (path === '/api/auth/logout') return new Response(null, { status: 204 })
    if (path === '/api/users/me') return json({ id: 'u', email: 'a@b.c', name: 'A', role: 'customer', createdAt: '', updatedAt: '' })
    if (path === '/api/orders/events') {
      streams.push({ token: headers.get('authorization')?.replace('Bearer ', ''), lastEventId: headers.get('last-event-id') ?? undefined })
      const script = scripts.shift() ?? []
      const signal = init?.signal
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          for (const chunk of script) controller.enqueue(new TextEncoder().encode(chunk))
          // An empty script keeps the stream open until the client aborts it.
          if (script.length > 0 && !script.includes('hold')) controller.close()
          else signal?.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')))
        },
      })
      return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } })
    }
    return new Response('{}', { status: 404 })
  }
  return { fetch, streams }
}

function client(server: ReturnType<typeof fakeServer>) {
  let refreshToken: string | null = null
  return new ShopClient({
    serverUrl: 'http://shop.test',
    tokens: { load: async () => refreshToken, save: async (t) => void (refreshToken = t) },
    pending: { load: async () => [], save: async () => {} },
    fetch: server.fetch,
  })
}

const until = async (check: () => boolean, ms = 3000) => {
  const deadline = Date.now() + ms
  while (!check() && Date.now() < deadline) await Bun.sleep(10)
  return check()
}

describe('the live order stream', () => {
  test('at token expiry the server ends the stream: the client refreshes and resumes from the last id at once', async () => {
    const server = fakeServer([[event(1), event(2), 'event: end\ndata: {"reason":"token_expired"}\n\n'], [event(3), 'hold']])
    const shop = client(server)
    await shop.login({ email: 'a@b.c', password: 'x' })
    const seen: OrderEvent[] = []
    const stop = shop.onOrderEvent((e) => seen.push(e))
    try {
      expect(await until(() => seen.length === 3)).toBe(true)
      expect(seen.map((e) => e.seq)).toEqual([1, 2, 3])
      expect(server.streams).toEqual([
        { token: 'access-1', lastEventId: undefined },
        { token: 'access-2', lastEventId: '2' },
      ])
    } finally {
      stop()
    }
  })

  test("after sign-out the next user's stream does not carry the last user's position", async () => {
    const server = fakeServer([[event(41), event(42), 'hold'], ['hold'], [event(1, 'o-b'), 'hold']])
    const shop = client(server)
    await shop.login({ email: 'a@b.c', password: 'x' })
    const seen: OrderEvent[] = []
    const stop = shop.onOrderEvent((e) => seen.push(e))
    try {
      expect(await until(() => seen.length === 2)).toBe(true)
      await shop.logout()
      await shop.login({ email: 'b@b.c', password: 'y' })
      expect(await until(() => server.streams.length >= 2)).toBe(true)
      // The stream of user B is opened with B's token and without A's last id.
      expect(server.streams[1]).toEqual({ token: 'access-2', lastEventId: undefined })
    } finally {
      stop()
    }
  })
})
