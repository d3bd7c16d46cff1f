/**
 * The transactional outbox. `publish` writes an event in the caller's transaction (one row per
 * consumer queue) and NOTIFYs the relay at commit; `OutboxRelay` leases pending rows in one
 * statement (`FOR UPDATE SKIP LOCKED`, so relays never share a row), adds them to BullMQ with the
 * event id as job id, and marks them sent. A relay that dies between the add and the mark leaves
 * the rows pending once its lease lapses: the next add of the same job id is a no-op in BullMQ,
 * and consumers' inboxes skip whatever still gets through.
 */
import { createHash } from 'node:crypto'
import type { PendingQuery, Row } from 'postgres'
import type { Db, Sql, Tx } from './db.ts'
import { withTimeout } from './db.ts'
import { BATCH_JOB, EVENTS, MAX_BATCH_EVENTS, type EventName, type EventPayload, type QueueName } from './contracts.ts'
import type { Logger } from './logger.ts'
import type { Queues } from './queue.ts'

/** The NOTIFY channel of a schema's outbox. */
export function outboxChannel(schema: string): string {
  return `outbox_${schema}`
}

/**
 * Writes event `name` to the outbox inside `tx`; returns its id. The event is delivered to every
 * queue the contract routes it to, once the transaction commits, and never if it rolls back.
 */
export async function publish<N extends EventName>(
  tx: Tx,
  schema: string,
  name: N,
  payload: EventPayload<N>,
  options: { id?: string } = {},
): Promise<string> {
  const eventId = options.id ?? Bun.randomUUIDv7()
  const queues = EVENTS[name].consumers as readonly QueueName[]
  const rows = queues.map((queue) => ({ eventId, queue, name, payload: tx.json(payload as never) }))
  // One round trip: the insert runs as a data-modifying CTE, the NOTIFY is sent at commit.
  await tx`
    with inserted as (insert into outbox ${tx(rows, 'eventId', 'queue', 'name', 'payload')})
    select pg_notify(${outboxChannel(schema)}, '')`
  return eventId
}

/**
 * `publish` for a caller's own single-statement write: a data-modifying CTE body that writes event
 * `name` to the outbox only when `guard` (a `where ...` fragment over the caller's other CTEs)
 * holds. The caller's statement must also `select pg_notify(outboxChannel(schema), '')`.
 */
export function outboxInsert<N extends EventName>(db: Db, name: N, payload: EventPayload<N>, guard: PendingQuery<Row[]>) {
  const eventId = Bun.randomUUIDv7()
  const queues = EVENTS[name].consumers as readonly QueueName[]
  const fragment = db`
    insert into outbox (event_id, queue, name, payload)
    select ${eventId}::uuid, q, ${name}, ${db.json(payload as never)} from unnest(${queues as string[]}::text[]) q ${guard}`
  return { eventId, fragment }
}

interface PendingRow {
  id: number
  eventId: string
  queue: QueueName
  name: EventName
  payload: unknown
  occurredAt: Date
  attempts: number
}

export interface RelayOptions {
  sql: Sql
  schema: string
  queues: Queues
  log: Logger
  batchSize?: number
  /** Polling fallback when no NOTIFY arrives. */
  pollMs?: number
  /** How long sent rows are kept. */
  retentionMs?: number
  /** Bound on one BullMQ add. */
  publishTimeoutMs?: number
  /** How long a relay holds its rows before another may take them (a relay that died). */
  leaseMs?: number
  /**
   * While busy (the last pass found rows), passes start at most this often: under load the rows
   * that arrive meanwhile go out together in one pass, one Redis transaction and one batch job
   * each, instead of a pass per row. An event that arrives when the relay is idle goes at once.
   */
  busyIntervalMs?: number
  /**
   * How long a relay that went idle keeps the rows it published unmarked, waiting for a NOTIFY
   * whose pass would mark them in its lease statement; after that it marks them on their own.
   */
  markDelayMs?: number
  /** Fault injection for tests and the chaos run: called after the add, before the rows are marked sent. */
  afterPublish?: (rows: { eventId: string; queue: QueueName }[]) => void | Promise<void>
}

function envelopeOf(row: PendingRow) {
  return { id: row.eventId, name: row.name, payload: row.payload, occurredAt: row.occurredAt.toISOString() }
}

/** The job id of a batch: the same rows always make the same id (and never a bare number or a `:`). */
export function batchJobId(eventIds: string[]): string {
  return `batch-${createHash('sha256').update(eventIds.join(',')).digest('hex').slice(0, 40)}`
}

/**
 * One job per event when a pass found a single event for the queue (its id is the event id);
 * otherwise batch jobs of up to MAX_BATCH_EVENTS events in outbox order.
 */
function toJobs(rows: PendingRow[]) {
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

export class OutboxRelay {
  private readonly batchSize: number
  private readonly pollMs: number
  private readonly retentionMs: number
  private readonly publishTimeoutMs: number
  private readonly leaseMs: number
  private readonly busyIntervalMs: number
  private readonly markDelayMs: number
  private running = false
  private wake: (() => void) | undefined
  /** Set by a NOTIFY that arrives while a pass runs, so it is not slept through. */
  private notified = false
  private loop: Promise<void> | undefined
  private unlisten: (() => Promise<void>) | undefined
  private lastPrune = 0
  published = 0

  constructor(private readonly options: RelayOptions) {
    this.batchSize = options.batchSize ?? 200
    this.pollMs = options.pollMs ?? 1000
    this.retentionMs = options.retentionMs ?? 7 * 24 * 3600_000
    this.publishTimeoutMs = options.publishTimeoutMs ?? 5000
    this.leaseMs = options.leaseMs ?? 15_000
    this.busyIntervalMs = options.busyIntervalMs ?? 5
    this.markDelayMs = Math.min(options.markDelayMs ?? 200, this.pollMs)
  }

  /** Publishes one batch of pending rows and marks them sent; returns how many were sent. */
  async runOnce(): Promise<number> {
    const sent = await this.pass()
    await this.markSent()
    return sent
  }

  /**
   * Rows published but not yet marked sent. Under load the mark rides on the next pass's lease
   * statement (one statement per pass instead of two); a relay about to sleep marks them on
   * their own. Unmarked rows stay leased, so no other relay takes them meanwhile; if this one
   * dies they are published again once the lease lapses, which is harmless.
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
      await withTimeout(this.add(rows), this.publishTimeoutMs, 'BullMQ add timed out')
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
    this.published += rows.length
    return rows.length
  }

  private async add(rows: PendingRow[]): Promise<void> {
    const byQueue = new Map<QueueName, PendingRow[]>()
    for (const row of rows) {
      const list = byQueue.get(row.queue)
      if (list) list.push(row)
      else byQueue.set(row.queue, [row])
    }
    await Promise.all([...byQueue].map(([queue, batch]) => this.options.queues.get(queue).addBulk(toJobs(batch))))
  }

  /** Deletes sent rows older than the retention window; returns how many. */
  async prune(db: Db = this.options.sql): Promise<number> {
    const rows = await db`
      delete from outbox where sent_at < now() - ${this.retentionMs} * interval '1 millisecond' returning 1`
    return rows.length
  }

  /** Runs until `stop`: drains, then sleeps until a NOTIFY or the polling interval. */
  async start(): Promise<void> {
    if (this.running) return
    this.running = true
    const { sql, schema, log } = this.options
    try {
      const listener = await sql.listen(outboxChannel(schema), () => {
        this.notified = true
        this.wake?.()
      })
      this.unlisten = listener.unlisten
    } catch (error) {
      log.warn('outbox LISTEN failed; polling only', { error: (error as Error).message })
    }
    this.loop = (async () => {
      let passStarted = 0
      while (this.running) {
        let sent = 0
        this.notified = false
        passStarted = performance.now()
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
        if (sent === this.batchSize || this.notified) {
          const wait = sent > 0 ? passStarted + this.busyIntervalMs - performance.now() : 0
          if (wait > 0) await Bun.sleep(wait)
          continue
        }
        // Idle. Rows published but unmarked wait a moment for the next pass to mark them (at a
        // steady trickle, that is one statement per pass instead of two); then on their own.
        const idleStarted = performance.now()
        if (this.unmarked.length > 0 && !(await this.sleep(this.markDelayMs))) {
          try {
            await this.markSent()
          } catch (error) {
            log.warn('outbox mark failed; will retry', { error: (error as Error).message })
          }
          await this.sleep(this.pollMs - (performance.now() - idleStarted))
        } else if (this.unmarked.length === 0) await this.sleep(this.pollMs)
      }
    })()
  }

  /** Sleeps up to `ms`; true if a NOTIFY (or `stop`) woke it first. */
  private async sleep(ms: number): Promise<boolean> {
    // A NOTIFY that came while this relay was busy marking must not be slept through.
    if (this.notified || !this.running) return true
    if (ms <= 0) return false
    const woken = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ms)
      this.wake = () => {
        clearTimeout(timer)
        resolve(true)
      }
    })
    this.wake = undefined
    return woken
  }

  async stop(): Promise<void> {
    this.running = false
    this.wake?.()
    await this.loop
    await this.markSent().catch((error) => this.options.log.warn('outbox mark failed at stop', { error: (error as Error).message }))
    await this.unlisten?.().catch(() => {})
  }
}
