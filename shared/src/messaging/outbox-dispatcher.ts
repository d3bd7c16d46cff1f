/**
 * The outbox's dispatcher: sends the events of transactions it ran to BullMQ as soon as they
 * commit, and marks their rows sent (the outbox as a whole: outbox.ts).
 */
import type { Sql, Tx } from '../data/db.ts'
import { RELAXED_QUEUES, type QueueName } from '../domain/contracts.ts'
import type { Logger } from '../runtime/logger.ts'
import { dispatched, type OutboxEvent } from './outbox.ts'
import { addToQueues } from './outbox-jobs.ts'
import type { Queues } from './queue.ts'
import type { Counter, Registry } from 'prom-client'
import { counterOf } from '../runtime/metrics.ts'

/** An event's `reason` (a decline's, a cancellation's), or '' (a label is never missing). */
function reasonOf(payload: unknown): string {
  const reason = (payload as { reason?: unknown } | null)?.reason
  return typeof reason === 'string' && reason.length <= 64 ? reason : ''
}

export interface DispatcherOptions {
  sql: Sql
  queues: Queues
  log: Logger
  /**
   * While busy, adds start at most this often: events of transactions that commit meanwhile go
   * out together, one batch job per queue. An event that arrives when the dispatcher is idle
   * goes at once.
   */
  busyIntervalMs?: number
  /** How often the rows added are marked sent (one statement for all of them). */
  markIntervalMs?: number
  /** Queues whose events wait up to `relaxedDelayMs` for others (default: the contract's RELAXED_QUEUES). */
  relaxedQueues?: readonly QueueName[]
  relaxedDelayMs?: number
  /** Bound on one BullMQ add. */
  publishTimeoutMs?: number
  /** The process's registry: committed events are counted there (`shop_events_committed_total`). */
  registry?: Registry
}

/**
 * Sends the events of committed transactions to BullMQ at once, instead of waiting for a relay to
 * find them. Nothing depends on it for safety: what it has not added and marked (the process died,
 * Redis was down, the add timed out) a relay sends once the rows' grace period is over.
 */
export class OutboxDispatcher {
  private readonly busyIntervalMs: number
  private readonly markIntervalMs: number
  private readonly publishTimeoutMs: number
  private readonly relaxedQueues: ReadonlySet<QueueName>
  private readonly relaxedDelayMs: number
  private pending: OutboxEvent[] = []
  private relaxed: OutboxEvent[] = []
  private relaxedTimer: ReturnType<typeof setTimeout> | undefined
  /** Cancels the flush scheduled, if any. */
  private cancelFlush: (() => void) | undefined
  private lastFlush = -Infinity
  private readonly adding = new Set<Promise<void>>()
  private added: OutboxEvent[] = []
  private markTimer: ReturnType<typeof setTimeout> | undefined
  private marking: Promise<void> = Promise.resolve()
  private stopped = false
  /** Events added to BullMQ by this dispatcher. */
  sent = 0

  private readonly committed: Counter<'event' | 'reason'> | undefined

  constructor(private readonly options: DispatcherOptions) {
    if (options.registry)
      this.committed = counterOf(options.registry, 'shop_events_committed_total', 'Domain events committed by this process (outbox rows of its transactions), by event and reason', ['event', 'reason'])
    this.busyIntervalMs = options.busyIntervalMs ?? 5
    this.markIntervalMs = options.markIntervalMs ?? 100
    this.publishTimeoutMs = options.publishTimeoutMs ?? 5000
    this.relaxedQueues = new Set(options.relaxedQueues ?? RELAXED_QUEUES)
    this.relaxedDelayMs = options.relaxedDelayMs ?? 50
  }

  /**
   * Runs `work` in a transaction (`sql.begin`) whose events this dispatcher sends once it has
   * committed; a transaction that rolls back sends nothing.
   */
  async transaction<T>(sql: Sql, work: (tx: Tx) => Promise<T>): Promise<T> {
    let events: OutboxEvent[] = []
    const result = await sql.begin(async (tx) => {
      events = []
      dispatched.set(tx, events)
      return work(tx)
    })
    this.send(events)
    return result as T
  }

  /** Events of a committed write, to be added now (or with the others of this busy interval). */
  send(events: OutboxEvent[]): void {
    if (events.length === 0) return
    // Counted once committed (every caller sends after its commit; a rolled-back or retried
    // attempt sends nothing): the business metrics (payments asked for, decided by outcome and
    // reason, refunds, cancellations by reason...).
    for (const event of events) this.committed?.inc({ event: event.name, reason: reasonOf(event.payload) })
    if (this.stopped) {
      // Left to the relays once their grace period is over.
      this.options.log.warn('outbox dispatcher stopped; events left to the relay', { count: events.length })
      return
    }
    const urgent: OutboxEvent[] = []
    for (const event of events) (this.relaxedQueues.has(event.queue) ? this.relaxed : urgent).push(event)
    if (this.relaxed.length > 0) this.relaxedTimer ??= setTimeout(() => this.releaseRelaxed(), this.relaxedDelayMs)
    if (urgent.length > 0) this.schedule(urgent)
  }

  /** Relaxed events join the next add. */
  private releaseRelaxed(): void {
    this.relaxedTimer = undefined
    const events = this.relaxed
    this.relaxed = []
    this.schedule(events)
  }

  private schedule(events: OutboxEvent[]): void {
    this.pending.push(...events)
    if (this.cancelFlush) return
    const run = () => {
      this.cancelFlush = undefined
      this.track(this.flush())
    }
    const wait = this.lastFlush + this.busyIntervalMs - performance.now()
    // Idle: right after this turn of the event loop (what other callbacks of the same turn commit
    // joins). A timer would cost about a millisecond even at 0 (Bun clamps it like Node).
    if (wait <= 0) {
      const immediate = setImmediate(run)
      this.cancelFlush = () => clearImmediate(immediate)
    } else {
      const timer = setTimeout(run, wait)
      this.cancelFlush = () => clearTimeout(timer)
    }
  }

  private track(promise: Promise<void>): void {
    this.adding.add(promise)
    void promise.finally(() => this.adding.delete(promise))
  }

  private async flush(): Promise<void> {
    const rows = this.pending
    this.pending = []
    if (rows.length === 0) return
    this.lastFlush = performance.now()
    try {
      await addToQueues(this.options.queues, rows, this.publishTimeoutMs)
    } catch (error) {
      this.options.log.warn('outbox dispatch failed; the relay will send these events', {
        count: rows.length,
        error: (error as Error).message,
      })
      return
    }
    this.sent += rows.length
    this.added.push(...rows)
    this.markTimer ??= setTimeout(() => {
      this.markTimer = undefined
      this.marking = this.marking.then(() => this.mark())
    }, this.markIntervalMs)
  }

  /** Marks what was added as sent, in one statement. A failure leaves the rows to the relays. */
  private async mark(): Promise<void> {
    const rows = this.added
    this.added = []
    if (rows.length === 0) return
    try {
      await this.options.sql`
        update outbox o set sent_at = now(), claimed_until = null
        from unnest(${rows.map((r) => r.eventId)}::uuid[], ${rows.map((r) => r.queue)}::text[]) as s(event_id, queue)
        where o.event_id = s.event_id and o.queue = s.queue and o.sent_at is null`
    } catch (error) {
      this.options.log.warn('outbox mark failed; the relay will send these events again', { count: rows.length, error: (error as Error).message })
    }
  }

  /** Adds what is pending and marks what was added; later events are left to the relays. */
  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.relaxedTimer)
    this.cancelFlush?.()
    this.relaxedTimer = this.cancelFlush = undefined
    this.pending.push(...this.relaxed)
    this.relaxed = []
    this.track(this.flush())
    await Promise.allSettled([...this.adding])
    if (this.markTimer) {
      clearTimeout(this.markTimer)
      this.markTimer = undefined
    }
    this.marking = this.marking.then(() => this.mark())
    await this.marking
  }
}
