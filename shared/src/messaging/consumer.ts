/**
 * The consuming side: a BullMQ worker whose handlers run inside one Postgres transaction together
 * with the insert of the message id into the inbox, so a redelivered message is skipped and an
 * effect happens exactly once. Payloads are validated against the contract first (envelope.ts);
 * a bad one fails at once with `UnrecoverableError`. What exhausts its attempts is recorded in
 * `dead_letters`. Batch jobs, many events in one transaction: consumer-batch.ts.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq'
import type { Counter, Histogram, Registry } from 'prom-client'
import { BATCH_JOB, type EventEnvelope, type EventName, type EventsFor, type QueueName } from '../domain/contracts.ts'
import type { Sql, Tx } from '../data/db.ts'
import type { Logger } from '../runtime/logger.ts'
import { counterOf, histogramOf } from '../runtime/metrics.ts'
import { BatchJobs } from './consumer-batch.ts'
import { eventSpan, parseEnvelope } from './envelope.ts'
import type { OutboxDispatcher } from './outbox-dispatcher.ts'
import { closeWithin, workerConnection } from './queue.ts'

export type Handler<N extends EventName> = (tx: Tx, event: EventEnvelope<N>) => Promise<void>
export type Handlers<Q extends QueueName> = { [N in EventsFor<Q>]: Handler<N> }

export type Outcome = 'processed' | 'duplicate'

export interface ConsumerOptions<Q extends QueueName> {
  queue: Q
  sql: Sql
  redisUrl: string
  prefix: string
  log: Logger
  handlers: Handlers<Q>
  concurrency?: number
  /** BullMQ lock: a job whose worker died is redelivered after about this long. */
  lockDurationMs?: number
  stalledIntervalMs?: number
  registry?: Registry
  /**
   * The entity an event changes (a wallet, an order). In a batch, events with the same key are
   * handled one after the other and events with different keys side by side in the same
   * transaction, so their statements travel together (one socket write for many events). Events
   * whose handlers read and then write the same rows must share a key. Without it, a batch's
   * events are handled one after the other.
   */
  batchKey?: (event: EventEnvelope) => string
  /**
   * Takes, at the start of a transaction, the row locks its handlers will need, in one fixed
   * order (one statement for a whole batch), for handlers that lock several shared rows each (a
   * reservation's products): those would deadlock with other writers that lock them in order.
   * Handlers that lock one row per batch key first need none: lanes start in key order.
   */
  lockFirst?: (tx: Tx, events: EventEnvelope[]) => Promise<void>
  /**
   * In a batch job, every new event of a name that has one here goes to it in ONE call (after
   * `lockFirst`, before the lanes), so the statements of many events can be one set-based
   * statement; it answers the events it left to their single handler (run in the lanes as usual).
   * A single event (not in a batch) always goes to its single handler.
   */
  batchHandlers?: { [N in EventsFor<Q>]?: (tx: Tx, events: EventEnvelope<N>[]) => Promise<EventEnvelope<N>[]> }
  /** Sends the events a handler publishes as soon as its transaction commits (else relays do). */
  dispatcher?: OutboxDispatcher
  /** Fault injection for tests and the chaos run: called after the commit, before the ack. */
  afterCommit?: (event: EventEnvelope, outcome: Outcome) => void | Promise<void>
}

/** Postgres errors worth an immediate retry inside the same attempt: serialisation, deadlock, and a
 * unique violation from a concurrent duplicate (the retry sees the winner's row). */
const TRANSIENT = new Set(['40001', '40P01', '23505'])

/** Rolls back a handler that ran for a message the inbox had already seen. */
class DuplicateMessage extends Error {}

export class Consumer<Q extends QueueName> {
  readonly worker: Worker
  private readonly connection: ReturnType<typeof workerConnection>
  private readonly handled: Counter<'event' | 'outcome'> | undefined
  private readonly duration: Histogram<'event'> | undefined
  /** Batch jobs (consumer-batch.ts), through this consumer's transactions and inbox. */
  private readonly batches: BatchJobs<Q>

  constructor(private readonly options: ConsumerOptions<Q>) {
    const { queue, log } = options
    const accepted = Object.keys(options.handlers)
    if (options.registry) {
      this.handled = counterOf(options.registry, 'events_handled_total', 'Events handled by this consumer, by outcome (processed, duplicate, failed)', ['event', 'outcome'])
      this.duration = histogramOf(options.registry, 'event_handle_duration_seconds', 'Time to handle one event, transaction included', ['event'], [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1])
    }
    this.batches = new BatchJobs(options, {
      duration: this.duration,
      inTransaction: (work) => this.inTransaction(work),
      handleOne: (envelope) => this.handleOne(envelope),
      finished: (envelope, outcome) => this.finished(envelope, outcome),
      deadLetter: (job, data, message) => this.deadLetter(job, data, message),
    })
    this.connection = workerConnection(options.redisUrl)
    this.worker = new Worker(queue, (job) => this.process(job, accepted), {
      connection: this.connection,
      prefix: options.prefix,
      concurrency: options.concurrency ?? 16,
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: options.stalledIntervalMs ?? 30_000,
      maxStalledCount: 5,
      autorun: false,
    })
    this.worker.on('error', (error) => log.warn('worker error', { queue, error: error.message }))
    this.worker.on('failed', (job, error) => void this.onFailed(job, error))
  }

  /** Resolves while the BullMQ worker is running (taking jobs); rejects otherwise. */
  async ready(): Promise<void> {
    if (!this.worker.isRunning()) throw new Error('not taking jobs')
  }

  /** Starts taking jobs (returns at once; the worker runs in the background). */
  start(): void {
    void this.worker.run().catch((error) => this.options.log.error('worker stopped', { error: (error as Error).message }))
  }

  private async process(job: Job, accepted: string[]): Promise<Outcome> {
    if (job.name === BATCH_JOB) return this.batches.process(job, accepted)
    return this.handleOne(parseEnvelope(job, accepted))
  }

  /** Runs `work` in a transaction, again (up to three attempts) on a transient Postgres error. */
  private async inTransaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { sql, dispatcher } = this.options
        return dispatcher ? await dispatcher.transaction(sql, work) : ((await sql.begin(work)) as T)
      } catch (error) {
        const code = (error as { code?: string }).code
        if (attempt < 3 && code && TRANSIENT.has(code)) {
          // A unique violation is the expected race of a duplicate; a deadlock or a serialisation
          // failure says two transactions took rows in opposite orders: worth seeing in the log.
          if (code !== '23505')
            this.options.log.warn('transaction retried', { queue: this.options.queue, code, attempt, error: (error as Error).message })
          continue
        }
        throw error
      }
    }
  }

  /** One event in its own transaction with its inbox row (in a span continuing the event's trace). */
  private handleOne(envelope: EventEnvelope): Promise<Outcome> {
    return eventSpan(this.options.queue, envelope, () => this.handleOneNow(envelope))
  }

  private async handleOneNow(envelope: EventEnvelope): Promise<Outcome> {
    const handler = this.options.handlers[envelope.name as EventsFor<Q>] as Handler<EventName>
    const stopTimer = this.duration?.startTimer({ event: envelope.name })
    const outcome = await this.inTransaction(async (tx) => {
      // The inbox insert and the handler's first queries go out together; a repeat is
      // found when the insert's answer comes back, and the handler's work is rolled back.
      const inbox = tx`
        insert into inbox (message_id, queue, name) values (${envelope.id}, ${this.options.queue}, ${envelope.name})
        on conflict (message_id) do nothing
        returning 1`.execute()
      try {
        await this.options.lockFirst?.(tx, [envelope])
        await handler(tx, envelope)
      } catch (error) {
        if ((await inbox.catch(() => [1])).length === 0) throw new DuplicateMessage()
        throw error
      }
      if ((await inbox).length === 0) throw new DuplicateMessage()
      return 'processed' as const
    }).catch((error) => {
      if (error instanceof DuplicateMessage) return 'duplicate' as const
      throw error
    })
    stopTimer?.()
    await this.finished(envelope, outcome)
    return outcome
  }

  private async finished(envelope: EventEnvelope, outcome: Outcome): Promise<void> {
    this.handled?.inc({ event: envelope.name, outcome })
    if (outcome === 'duplicate') this.options.log.info('duplicate message skipped', { event: envelope.name, id: envelope.id })
    await this.options.afterCommit?.(envelope, outcome)
  }

  private async onFailed(job: Job | undefined, error: Error): Promise<void> {
    if (!job) return
    const { log, queue } = this.options
    const final = error instanceof UnrecoverableError || error.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1)
    this.handled?.inc({ event: job.name, outcome: final ? 'dead' : 'failed' })
    if (!final) {
      log.warn('event failed; will retry', { queue, event: job.name, jobId: job.id, attempt: job.attemptsMade, error: error.message })
      return
    }
    log.error('event dead-lettered', { queue, event: job.name, jobId: job.id, attempts: job.attemptsMade, error: error.message })
    if (job.name !== BATCH_JOB) return this.deadLetter(job, job.data, error.message)
    // Only the events of the batch that never got through.
    const items: unknown[] = Array.isArray(job.data?.events) ? job.data.events : []
    for (const item of items) await this.deadLetter(job, item, error.message, true)
  }

  /** Records a message in `dead_letters` (with `unlessDone`, only if the inbox has not seen it). */
  private async deadLetter(job: Job, data: unknown, message: string, unlessDone = false): Promise<void> {
    const { log, queue, sql } = this.options
    const envelope = data as Partial<EventEnvelope> | null | undefined
    // A payload without a valid id still gets a row of its own.
    const id = typeof envelope?.id === 'string' && /^[0-9a-f-]{36}$/i.test(envelope.id) ? envelope.id : crypto.randomUUID()
    const name = typeof envelope?.name === 'string' ? envelope.name : job.name
    try {
      await sql`
        insert into dead_letters (message_id, queue, name, data, error, attempts)
        select ${id}::uuid, ${queue}, ${name}, ${sql.json((data ?? null) as never)}, ${message.slice(0, 2000)}, ${job.attemptsMade}
        where not ${unlessDone} or not exists (select 1 from inbox where message_id = ${id}::uuid)
        on conflict (message_id, queue) do update
          set error = excluded.error, attempts = excluded.attempts, failed_at = now(), data = excluded.data`
    } catch (insertError) {
      // The job stays in BullMQ's failed set for a week; the log line above names it.
      log.error('dead letter not recorded', { jobId: job.id, error: (insertError as Error).message })
    }
  }

  /**
   * Deletes inbox rows older than `days`. Redelivery comes within minutes (stalled jobs) or
   * within the 24 h dedup window (relay repeats); effects are also guarded by unique constraints.
   */
  async pruneInbox(days = 30): Promise<number> {
    const rows = await this.options.sql`
      delete from inbox where queue = ${this.options.queue} and received_at < now() - ${days} * interval '1 day' returning 1`
    return rows.length
  }

  /** Stops taking jobs and waits for running ones, at most `timeoutMs`. */
  async close(timeoutMs = 10_000): Promise<boolean> {
    const closed = await closeWithin([() => this.worker.close()], timeoutMs)
    // BullMQ leaves a connection it was given open.
    this.connection.disconnect()
    return closed
  }
}
