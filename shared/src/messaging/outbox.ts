/**
 * The transactional outbox. `publish` writes an event in the caller's transaction (one row per
 * consumer queue). Delivery has two paths:
 * - at once: a transaction run through an `OutboxDispatcher` (every API and worker that publishes
 *   does so) hands its events to the dispatcher when it commits; the dispatcher adds them to
 *   BullMQ right away (several transactions' events together while busy) and marks the rows sent
 *   a moment later, many in one statement. Such rows are written `available_at` a grace period
 *   ahead, so no relay takes them while the dispatcher is at work;
 * - whatever is left: `OutboxRelay` polls for rows that are available and not sent (the process
 *   died before its dispatcher added them, Redis was down, an event written without a
 *   dispatcher), leases them in one statement (`FOR UPDATE SKIP LOCKED`, so relays never share a
 *   row), adds them and marks them sent.
 * Job ids are deterministic (the event id; for a batch, a hash of its event ids), so a repeated
 * add of the same rows is a no-op in BullMQ, and consumers' inboxes skip whatever still gets
 * through twice (the same event in two different batches, say).
 */
import { createHash } from 'node:crypto'
import type { Db, Fragment, Sql, Tx } from '../data/db.ts'
import { withTimeout } from '../data/db.ts'
import { BATCH_JOB, EVENTS, MAX_BATCH_EVENTS, RELAXED_QUEUES, type EventName, type EventPayload, type QueueName } from '../domain/contracts.ts'
import type { Logger } from '../runtime/logger.ts'
import type { Queues } from './queue.ts'

/** One outbox row as a dispatcher sends it: an event for one consumer queue. */
export interface OutboxEvent {
  eventId: string
  queue: QueueName
  name: EventName
  payload: unknown
  occurredAt: Date
}

/** How long after its commit a dispatched event is left to its dispatcher before relays may take it. */
export const DISPATCH_GRACE_MS = 2000

/** Transactions whose events a dispatcher sends when they commit, with the events written so far. */
const dispatched = new WeakMap<object, OutboxEvent[]>()

function outboxEvents(eventId: string, name: EventName, payload: unknown, occurredAt: Date): OutboxEvent[] {
  return (EVENTS[name].consumers as readonly QueueName[]).map((queue) => ({ eventId, queue, name, payload, occurredAt }))
}

/** The insert of one event's rows, available to relays `graceMs` after the statement runs. */
function insertEvents(db: Db, events: OutboxEvent[], graceMs: number, guard?: Fragment) {
  const { eventId, name, payload, occurredAt } = events[0]!
  return db`
    insert into outbox (event_id, queue, name, payload, occurred_at, available_at)
    select ${eventId}::uuid, q, ${name}, ${db.json(payload as never)}, ${occurredAt}, now() + ${graceMs} * interval '1 millisecond'
    from unnest(${events.map((e) => e.queue)}::text[]) q ${guard ?? db``}`
}

/**
 * Writes event `name` to the outbox inside `tx`; returns its id. The event is delivered to every
 * queue the contract routes it to, once the transaction commits, and never if it rolls back.
 */
export async function publish<N extends EventName>(tx: Tx, name: N, payload: EventPayload<N>, options: { id?: string } = {}): Promise<string> {
  const events = outboxEvents(options.id ?? Bun.randomUUIDv7(), name, payload, new Date())
  const sending = dispatched.get(tx)
  await tx`${insertEvents(tx, events, sending ? DISPATCH_GRACE_MS : 0)}`
  sending?.push(...events)
  return events[0]!.eventId
}

/**
 * `publish` for a caller's own single-statement write: a data-modifying CTE body that writes event
 * `name` to the outbox only when `guard` (a `where ...` fragment over the caller's other CTEs)
 * holds. With a `dispatcher`, the rows are left to it: the caller hands it `events` once the
 * statement has committed and written them.
 */
export function outboxInsert<N extends EventName>(
  db: Db,
  name: N,
  payload: EventPayload<N>,
  guard: Fragment,
  dispatcher?: OutboxDispatcher,
) {
  const events = outboxEvents(Bun.randomUUIDv7(), name, payload, new Date())
  return { eventId: events[0]!.eventId, events, fragment: insertEvents(db, events, dispatcher ? DISPATCH_GRACE_MS : 0, guard) }
}

interface PendingRow extends OutboxEvent {
  id: number
  attempts: number
}

function envelopeOf(row: OutboxEvent) {
  return { id: row.eventId, name: row.name, payload: row.payload, occurredAt: row.occurredAt.toISOString() }
}

/** The job id of a batch: the same rows always make the same id (and never a bare number or a `:`). */
export function batchJobId(eventIds: string[]): string {
  return `batch-${createHash('sha256').update(eventIds.join(',')).digest('hex').slice(0, 40)}`
}

/**
 * One job per event when there is a single event for the queue (its id is the event id);
 * otherwise batch jobs of up to MAX_BATCH_EVENTS events in the order given.
 */
function toJobs(rows: OutboxEvent[]) {
  if (rows.length === 1) {
    const row = rows[0]!
    return [{ name: row.name as string, data: envelopeOf(row) as unknown, opts: { jobId: row.eventId } }]
  }
  const jobs = []
  for (let i = 0; i < rows.length; i += MAX_BATCH_EVENTS) {
    const chunk = rows.slice(i, i + MAX_BATCH_EVENTS)
    jobs.push({ name: BATCH_JOB, data: { events: chunk.map(envelopeOf) } as unknown, opts: { jobId: batchJobId(chunk.map((r) => r.eventId)) } })
  }
  return jobs
}

/** Adds the events to their queues (one addBulk per queue), bounded by `timeoutMs`. */
async function addToQueues(queues: Queues, rows: OutboxEvent[], timeoutMs: number): Promise<void> {
  const byQueue = new Map<QueueName, OutboxEvent[]>()
  for (const row of rows) {
    const list = byQueue.get(row.queue)
    if (list) list.push(row)
    else byQueue.set(row.queue, [row])
  }
  await withTimeout(
    Promise.all([...byQueue].map(([queue, batch]) => queues.get(queue).addBulk(toJobs(batch)))),
    timeoutMs,
    'BullMQ add timed out',
  )
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

  constructor(private readonly options: DispatcherOptions) {
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

export interface RelayOptions {
  sql: Sql
  queues: Queues
  log: Logger
  batchSize?: number
  /** How often an idle relay looks for rows to send. */
  pollMs?: number
  /** How long sent rows are kept. */
  retentionMs?: number
  /** Bound on one BullMQ add. */
  publishTimeoutMs?: number
  /** How long a relay holds its rows before another may take them (a relay that died). */
  leaseMs?: number
  /** Fault injection for tests and the chaos run: called after the add, before the rows are marked sent. */
  afterPublish?: (rows: { eventId: string; queue: QueueName }[]) => void | Promise<void>
}

/**
 * Sends the outbox rows no dispatcher sent: available, not sent, not leased by another relay.
 * Leases a batch and marks the previous pass's rows sent in one statement; a relay about to
 * sleep marks them on their own.
 */
export class OutboxRelay {
  private readonly batchSize: number
  private readonly pollMs: number
  private readonly retentionMs: number
  private readonly publishTimeoutMs: number
  private readonly leaseMs: number
  private running = false
  private wake: (() => void) | undefined
  private loop: Promise<void> | undefined
  private lastPrune = 0

  constructor(private readonly options: RelayOptions) {
    this.batchSize = options.batchSize ?? 200
    this.pollMs = options.pollMs ?? 500
    this.retentionMs = options.retentionMs ?? 7 * 24 * 3600_000
    this.publishTimeoutMs = options.publishTimeoutMs ?? 5000
    this.leaseMs = options.leaseMs ?? 15_000
  }

  /** Publishes one batch of pending rows and marks them sent; returns how many were sent. */
  async runOnce(): Promise<number> {
    const sent = await this.pass()
    await this.markSent()
    return sent
  }

  /**
   * Rows published but not yet marked sent. While there is more to send, the mark rides on the
   * next pass's lease statement. Unmarked rows stay leased, so no other relay takes them
   * meanwhile; if this one dies they are published again once the lease lapses, which is harmless.
   */
  private unmarked: number[] = []

  private async markSent(): Promise<void> {
    if (this.unmarked.length === 0) return
    const ids = this.unmarked
    await this.options.sql`update outbox set sent_at = now(), claimed_until = null where id = any(${ids}::bigint[])`
    this.unmarked = this.unmarked.slice(ids.length)
  }

  /** Leases and publishes one batch (marking the previous pass's rows in the same statement). */
  private async pass(): Promise<number> {
    const { sql, log } = this.options
    const marking = this.unmarked
    const rows = await sql<PendingRow[]>`
      with marked as (
        update outbox set sent_at = now(), claimed_until = null where id = any(${marking}::bigint[])
      )
      update outbox o set claimed_until = now() + ${this.leaseMs} * interval '1 millisecond'
      from (
        select id from outbox
        where sent_at is null and available_at <= now() and (claimed_until is null or claimed_until < now())
          and id <> all(${marking}::bigint[])
        order by id
        limit ${this.batchSize}
        for update skip locked
      ) pending
      where o.id = pending.id
      returning o.id, o.event_id, o.queue, o.name, o.payload, o.occurred_at, o.attempts`
    this.unmarked = this.unmarked.slice(marking.length)
    if (rows.length === 0) return 0
    rows.sort((a, b) => a.id - b.id)
    const ids = rows.map((r) => r.id)
    try {
      await addToQueues(this.options.queues, rows, this.publishTimeoutMs)
      await this.options.afterPublish?.(rows.map((r) => ({ eventId: r.eventId, queue: r.queue })))
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      // Back off these rows (up to a minute) and give up the lease.
      await sql`
        update outbox set attempts = attempts + 1, last_error = ${message.slice(0, 500)}, claimed_until = null,
          available_at = now() + least(60000, 200 * power(2, least(attempts, 10))) * interval '1 millisecond'
        where id = any(${ids}::bigint[])`
      log.warn('outbox publish failed; will retry', { count: rows.length, error: message })
      return 0
    }
    this.unmarked.push(...ids)
    return rows.length
  }

  /** Deletes sent rows older than the retention window; returns how many. */
  async prune(db: Db = this.options.sql): Promise<number> {
    const rows = await db`
      delete from outbox where sent_at < now() - ${this.retentionMs} * interval '1 millisecond' returning 1`
    return rows.length
  }

  /** Runs until `stop`: sends what there is, then looks again every `pollMs`. */
  async start(): Promise<void> {
    if (this.running) return
    this.running = true
    const { log } = this.options
    this.loop = (async () => {
      while (this.running) {
        let sent = 0
        try {
          sent = await this.pass()
          if (Date.now() - this.lastPrune > 3600_000) {
            this.lastPrune = Date.now()
            const pruned = await this.prune()
            if (pruned) log.info('outbox pruned', { pruned })
          }
        } catch (error) {
          log.warn('outbox relay pass failed', { error: (error as Error).message })
        }
        if (sent === this.batchSize) continue
        try {
          await this.markSent()
        } catch (error) {
          log.warn('outbox mark failed; will retry', { error: (error as Error).message })
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.pollMs)
          this.wake = () => {
            clearTimeout(timer)
            resolve()
          }
        })
        this.wake = undefined
      }
    })()
  }

  async stop(): Promise<void> {
    this.running = false
    this.wake?.()
    await this.loop
    await this.markSent().catch((error) => this.options.log.warn('outbox mark failed at stop', { error: (error as Error).message }))
  }
}
