/**
 * The outbox's relay: sends the rows no dispatcher sent (the outbox as a whole: outbox.ts), and
 * prunes the sent ones.
 */
import type { Db, Sql } from '../data/db.ts'
import type { QueueName } from '../domain/contracts.ts'
import type { Logger } from '../runtime/logger.ts'
import type { OutboxEvent } from './outbox.ts'
import { addToQueues } from './outbox-jobs.ts'
import type { Queues } from './queue.ts'

interface PendingRow extends OutboxEvent {
  id: number
  attempts: number
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
      returning o.id, o.event_id, o.queue, o.name, o.payload, o.occurred_at, o.attempts, o.trace`
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
