/**
 * Live order events for SSE streams. The history table is the source of truth; a Postgres
 * NOTIFY sent in the same statement as the history rows (so at commit, in commit order, and never
 * for a rollback) carries the appended entries to the streams of that user on every orders
 * instance. A stream sends them as they are when they follow what it sent last, and reads the
 * history otherwise (a gap, a read already running). It also re-reads on every heartbeat, so a
 * notification lost while the LISTEN connection reconnects delays an event by one heartbeat at most.
 */
import type { Sql } from '@shop/shared/data/db'
import { recordEvent } from '@shop/shared/runtime/tracing'
import type { Logger } from '@shop/shared/runtime/logger'
import type { OrderEvent, WalletEvent } from '../orders/model.ts'
import * as repo from '../orders/repository.ts'

/** One event of the stream: the schema the API document shows (`OrderEvent`). */
export type StreamEvent = OrderEvent

/** Called with the entries of a notification, or without to read what is new. */
type Waker = (entries?: repo.HistoryNotification['e'], traceparent?: string | null) => void

function format(entry: StreamEvent): string {
  return `id: ${entry.seq}\nevent: order\ndata: ${JSON.stringify(entry)}\n\n`
}

/** The notification's entries, or undefined for a payload that is only a user id (older instances). */
function parseNotification(payload: string): repo.HistoryNotification | undefined {
  if (!payload.startsWith('{')) return undefined
  try {
    return JSON.parse(payload) as repo.HistoryNotification
  } catch {
    return undefined
  }
}

/** The owner's stream: every customer's entries, as their notifications arrive. */
type Watcher = (userId: string, entries: repo.HistoryNotification['e']) => void

export class OrderEventHub {
  private readonly wakers = new Map<string, Set<Waker>>()
  /** The user's streams' writers of wallet notices (a settled top-up): sent as they come, never replayed. */
  private readonly walletWriters = new Map<string, Set<(notice: WalletEvent) => void>>()
  private readonly watchers = new Set<Watcher>()
  private unlisten: (() => Promise<void>) | undefined

  constructor(
    private readonly sql: Sql,
    private readonly schema: string,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const listener = await this.sql.listen(repo.eventsChannel(this.schema), (payload) => {
      const notification = parseNotification(payload)
      if (notification?.w) {
        for (const write of this.walletWriters.get(notification.u) ?? []) write(notification.w)
        return
      }
      for (const wake of this.wakers.get(notification?.u ?? payload) ?? []) wake(notification?.e ?? undefined, notification?.t)
      if (notification) for (const watch of this.watchers) watch(notification.u, notification.e)
    })
    this.unlisten = listener.unlisten
  }

  async stop(): Promise<void> {
    await this.unlisten?.().catch(() => {})
  }

  /**
   * An SSE body for `userId`: first what came after `lastEventId` (when resuming), then every
   * new event, with a comment line every `heartbeatMs`. Without `lastEventId` it starts now; with
   * one ahead of the user's stream (an id from another user's stream, another database) it starts
   * from the beginning, so nothing of this user's is skipped. At `endsAt` (the expiry of the token
   * that opened it) it sends `event: end` and closes: the client reconnects with a fresh token.
   */
  stream(userId: string, lastEventId: number | undefined, heartbeatMs: number, signal: AbortSignal, endsAt?: number): ReadableStream<Uint8Array> {
    const { sql, log, wakers, walletWriters } = this
    let walletWriter: ((notice: WalletEvent) => void) | undefined
    let sent = 0
    let reading: Promise<void> | undefined
    let again = false
    let waker: Waker | undefined
    let drain = () => {}

    return sseBody(heartbeatMs, signal, endsAt, {
      open: async (write, isClosed) => {
        // Reads and sends what is new; one read at a time, a wake during a read reads again.
        drain = () => {
          if (isClosed()) return
          if (reading) {
            again = true
            return
          }
          reading = (async () => {
            do {
              again = false
              const rows = await repo.historySince(sql, userId, sent, 500)
              for (const row of rows) {
                if (row.seq <= sent) continue
                write(format({ seq: row.seq, orderId: row.orderId, event: row.event, status: row.status, reason: row.reason, shipment: row.shipment, at: row.at.toISOString() }))
                sent = row.seq
              }
              if (rows.length === 500) again = true
            } while (again && !isClosed())
          })()
            .catch((error) => log.warn('order stream read failed', { userId, error: (error as Error).message }))
            .finally(() => {
              reading = undefined
            })
        }

        // Entries that follow what was sent go out as they came; anything else is read.
        const deliver = (entries: repo.HistoryNotification['e'], traceparent?: string | null) => {
          if (isClosed()) return
          const fresh = entries.filter((e) => e.seq > sent)
          if (fresh.length === 0) return
          if (reading || fresh[0]!.seq !== sent + 1) return drain()
          for (const e of fresh) {
            // The push joins the trace of the change it tells (tracing on).
            recordEvent('sse push order event', traceparent, { 'shop.order_id': e.orderId, 'shop.event': e.event })
            write(format({ seq: e.seq, orderId: e.orderId, event: e.event, status: e.status, reason: e.reason, shipment: e.shipment ?? null, at: new Date(e.at).toISOString() }))
            sent = e.seq
          }
        }

        const last = await repo.lastSeq(sql, userId)
        sent = lastEventId === undefined ? last : lastEventId > last ? 0 : lastEventId
        // Registered once `sent` is known; the first drain catches what committed meanwhile.
        waker = (entries, traceparent) => (entries ? deliver(entries, traceparent) : drain())
        if (!isClosed()) {
          if (!wakers.has(userId)) wakers.set(userId, new Set())
          wakers.get(userId)!.add(waker)
          // No id: a wallet notice does not move Last-Event-ID, so resuming the order events is unaffected.
          walletWriter = (notice) => write(`event: wallet\ndata: ${JSON.stringify(notice)}\n\n`)
          if (!walletWriters.has(userId)) walletWriters.set(userId, new Set())
          walletWriters.get(userId)!.add(walletWriter)
        }
      },
      // Every heartbeat reads too: a notification lost while LISTEN reconnected waits one beat at most.
      tick: () => drain(),
      closed: () => {
        const set = wakers.get(userId)
        if (set && waker) {
          set.delete(waker)
          if (set.size === 0) wakers.delete(userId)
        }
        const writers = walletWriters.get(userId)
        if (writers && walletWriter) {
          writers.delete(walletWriter)
          if (writers.size === 0) walletWriters.delete(userId)
        }
      },
    })
  }

  /**
   * The owner's SSE body: every customer's order changes as they commit (`event: order`, the
   * entry with its `userId`), a comment every `heartbeatMs`, and `event: end` when the token that
   * opened it expires. It does not replay: the per-customer sequence numbers do not order the
   * whole shop, so a console reads its lists when it connects and after each event.
   */
  streamAll(heartbeatMs: number, signal: AbortSignal, endsAt?: number): ReadableStream<Uint8Array> {
    const watchers = this.watchers
    let watcher: Watcher | undefined
    return sseBody(heartbeatMs, signal, endsAt, {
      open: (write) => {
        watcher = (userId, entries) => {
          for (const e of entries)
            write(`event: order\ndata: ${JSON.stringify({ seq: e.seq, orderId: e.orderId, userId, event: e.event, status: e.status, reason: e.reason, shipment: e.shipment ?? null, at: new Date(e.at).toISOString() })}\n\n`)
        }
        watchers.add(watcher)
      },
      closed: () => {
        if (watcher) watchers.delete(watcher)
      },
    })
  }
}

interface SseHooks {
  /** Runs first (reads, registrations): `write` sends a block, `isClosed` says the stream has ended. */
  open(write: (text: string) => void, isClosed: () => boolean): Promise<void> | void
  /** After the `connected` comment, and on every heartbeat. */
  tick?: () => void
  /** Once, when the stream ends (the client gone, the token expired). */
  closed(): void
}

/**
 * What both streams share: `retry` and a `connected` comment once open, a comment every
 * `heartbeatMs`, `event: end` and the close at `endsAt` (the expiry of the token that opened it),
 * and one cleanup whichever way it ends.
 */
function sseBody(heartbeatMs: number, signal: AbortSignal, endsAt: number | undefined, hooks: SseHooks): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  let closed = false
  let heartbeat: ReturnType<typeof setInterval> | undefined
  let ending: ReturnType<typeof setTimeout> | undefined
  const cleanup = () => {
    if (closed) return
    closed = true
    clearInterval(heartbeat)
    clearTimeout(ending)
    hooks.closed()
  }
  return new ReadableStream<Uint8Array>({
    start: async (controller) => {
      const write = (text: string) => {
        if (closed) return
        try {
          controller.enqueue(encoder.encode(text))
        } catch {
          cleanup()
        }
      }
      const close = () => {
        cleanup()
        try {
          controller.close()
        } catch {}
      }
      if (signal.aborted) return close()
      signal.addEventListener('abort', close)
      if (endsAt !== undefined)
        // setTimeout takes at most 2^31-1 ms; a token outlives that in no deployment of ours.
        ending = setTimeout(() => {
          write(`event: end\ndata: {"reason":"token_expired"}\n\n`)
          close()
        }, Math.min(Math.max(0, endsAt - Date.now()), 2 ** 31 - 1))
      await hooks.open(write, () => closed)
      if (closed) return
      write(`retry: 2000\n: connected\n\n`)
      heartbeat = setInterval(() => {
        write(': ping\n\n')
        hooks.tick?.()
      }, heartbeatMs)
      hooks.tick?.()
    },
    cancel: cleanup,
  })
}
