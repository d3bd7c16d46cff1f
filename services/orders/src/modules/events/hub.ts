/**
 * Live order events for SSE streams. The history table is the source of truth; a Postgres
 * NOTIFY (sent in the same transaction as the history rows, so at commit and never for a
 * rollback) only wakes the streams of that user on every orders instance, which then read what
 * they have not sent yet. A stream also re-reads on every heartbeat, so a wake lost while the
 * LISTEN connection reconnects delays an event by one heartbeat at most.
 */
import type { Sql } from '@shop/shared/db'
import type { Logger } from '@shop/shared/logger'
import * as repo from '../orders/repository.ts'

export interface StreamEvent {
  seq: number
  orderId: string
  event: string
  status: string
  reason: string | null
  at: string
}

type Waker = () => void

export class OrderEventHub {
  private readonly wakers = new Map<string, Set<Waker>>()
  private unlisten: (() => Promise<void>) | undefined

  constructor(
    private readonly sql: Sql,
    private readonly schema: string,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const listener = await this.sql.listen(repo.eventsChannel(this.schema), (userId) => {
      for (const wake of this.wakers.get(userId) ?? []) wake()
    })
    this.unlisten = listener.unlisten
  }

  async stop(): Promise<void> {
    await this.unlisten?.().catch(() => {})
  }

  /**
   * An SSE body for `userId`: first what came after `lastEventId` (when resuming), then every
   * new event, with a comment line every `heartbeatMs`. Without `lastEventId` it starts now.
   */
  stream(userId: string, lastEventId: number | undefined, heartbeatMs: number, signal: AbortSignal): ReadableStream<Uint8Array> {
    const encoder = new TextEncoder()
    const { sql, log } = this
    let sent = 0
    let closed = false
    let reading: Promise<void> | undefined
    let again = false
    let heartbeat: ReturnType<typeof setInterval> | undefined
    const wakers = this.wakers
    let waker: Waker | undefined

    const cleanup = () => {
      if (closed) return
      closed = true
      clearInterval(heartbeat)
      const set = wakers.get(userId)
      if (set && waker) {
        set.delete(waker)
        if (set.size === 0) wakers.delete(userId)
      }
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
        // Reads and sends what is new; one read at a time, a wake during a read reads again.
        const drain = () => {
          if (closed) return
          if (reading) {
            again = true
            return
          }
          reading = (async () => {
            do {
              again = false
              const rows = await repo.historySince(sql, userId, sent, 500)
              for (const row of rows) {
                const data: StreamEvent = {
                  seq: row.seq,
                  orderId: row.orderId,
                  event: row.event,
                  status: row.status,
                  reason: row.reason,
                  at: row.at.toISOString(),
                }
                write(`id: ${row.seq}\nevent: order\ndata: ${JSON.stringify(data)}\n\n`)
                sent = row.seq
              }
              if (rows.length === 500) again = true
            } while (again && !closed)
          })()
            .catch((error) => log.warn('order stream read failed', { userId, error: (error as Error).message }))
            .finally(() => {
              reading = undefined
            })
        }

        waker = drain
        if (!wakers.has(userId)) wakers.set(userId, new Set())
        wakers.get(userId)!.add(waker)
        signal.addEventListener('abort', () => {
          cleanup()
          try {
            controller.close()
          } catch {}
        })
        sent = lastEventId ?? (await repo.lastSeq(sql, userId))
        write(`retry: 2000\n: connected\n\n`)
        heartbeat = setInterval(() => {
          write(': ping\n\n')
          drain()
        }, heartbeatMs)
        drain()
      },
      cancel: cleanup,
    })
  }
}
