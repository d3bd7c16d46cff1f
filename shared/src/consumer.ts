/**
 * The consuming side: a BullMQ worker whose handlers run inside one Postgres transaction together
 * with the insert of the message id into the inbox, so a redelivered message is skipped and an
 * effect happens exactly once. Payloads are validated against the contract first; a bad one
 * fails at once with `UnrecoverableError`. What exhausts its attempts is recorded in
 * `dead_letters`.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq'
import { Value } from '@sinclair/typebox/value'
import { Counter, Histogram, type Registry } from 'prom-client'
import { EVENTS, type EventEnvelope, type EventName, type EventsFor, type QueueName } from './contracts.ts'
import type { Sql, Tx } from './db.ts'
import type { Logger } from './logger.ts'
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
  /** Fault injection for tests and the chaos run: called after the commit, before the ack. */
  afterCommit?: (event: EventEnvelope, outcome: Outcome) => void | Promise<void>
}

/** Postgres errors worth an immediate retry inside the same attempt: serialisation, deadlock, and a
 * unique violation from a concurrent duplicate (the retry sees the winner's row). */
const TRANSIENT = new Set(['40001', '40P01', '23505'])

function describeInvalid(schema: Parameters<typeof Value.Check>[0], value: unknown): string {
  const first = Value.Errors(schema, value).First()
  return first ? `${first.path || '/'}: ${first.message}` : 'invalid'
}

/** Validates a job against the contract; throws UnrecoverableError for anything malformed. */
export function parseEnvelope(job: Pick<Job, 'name' | 'data' | 'id'>, accepted: readonly string[]): EventEnvelope {
  if (!accepted.includes(job.name)) throw new UnrecoverableError(`No handler for event "${job.name}"`)
  const data = job.data as Partial<EventEnvelope> | undefined
  if (!data || typeof data.id !== 'string' || !/^[0-9a-f-]{36}$/i.test(data.id) || data.name !== job.name)
    throw new UnrecoverableError('Malformed envelope: id and name are required')
  const schema = EVENTS[job.name as EventName].payload
  if (!Value.Check(schema, data.payload))
    throw new UnrecoverableError(`Invalid ${job.name} payload: ${describeInvalid(schema, data.payload)}`)
  return data as EventEnvelope
}

/** Rolls back a handler that ran for a message the inbox had already seen. */
class DuplicateMessage extends Error {}

export class Consumer<Q extends QueueName> {
  readonly worker: Worker
  private readonly connection: ReturnType<typeof workerConnection>
  private readonly handled: Counter<'event' | 'outcome'> | undefined
  private readonly duration: Histogram<'event'> | undefined

  constructor(private readonly options: ConsumerOptions<Q>) {
    const { queue, log } = options
    const accepted = Object.keys(options.handlers)
    if (options.registry) {
      this.handled = new Counter({
        name: 'events_handled_total',
        help: 'Events handled by this consumer, by outcome (processed, duplicate, failed)',
        labelNames: ['event', 'outcome'] as const,
        registers: [options.registry],
      })
      this.duration = new Histogram({
        name: 'event_handle_duration_seconds',
        help: 'Time to handle one event, transaction included',
        labelNames: ['event'] as const,
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
        registers: [options.registry],
      })
    }
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

  /** Starts taking jobs (returns at once; the worker runs in the background). */
  start(): void {
    void this.worker.run().catch((error) => this.options.log.error('worker stopped', { error: (error as Error).message }))
  }

  private async process(job: Job, accepted: string[]): Promise<Outcome> {
    const envelope = parseEnvelope(job, accepted)
    const handler = this.options.handlers[envelope.name as EventsFor<Q>] as Handler<EventName>
    const stopTimer = this.duration?.startTimer({ event: envelope.name })
    let outcome: Outcome | undefined
    for (let attempt = 1; ; attempt++) {
      try {
        outcome = await this.options.sql.begin(async (tx) => {
          // The inbox insert and the handler's first queries go out together; a repeat is
          // found when the insert's answer comes back, and the handler's work is rolled back.
          const inbox = tx`
            insert into inbox (message_id, queue, name) values (${envelope.id}, ${this.options.queue}, ${envelope.name})
            on conflict (message_id) do nothing
            returning 1`.execute()
          try {
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
        break
      } catch (error) {
        const code = (error as { code?: string }).code
        if (attempt < 3 && code && TRANSIENT.has(code)) continue
        throw error
      }
    }
    stopTimer?.()
    this.handled?.inc({ event: envelope.name, outcome })
    if (outcome === 'duplicate') this.options.log.info('duplicate message skipped', { event: envelope.name, id: envelope.id })
    await this.options.afterCommit?.(envelope, outcome)
    return outcome
  }

  private async onFailed(job: Job | undefined, error: Error): Promise<void> {
    if (!job) return
    const { log, queue, sql } = this.options
    const final = error instanceof UnrecoverableError || error.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1)
    this.handled?.inc({ event: job.name, outcome: final ? 'dead' : 'failed' })
    if (!final) {
      log.warn('event failed; will retry', { queue, event: job.name, jobId: job.id, attempt: job.attemptsMade, error: error.message })
      return
    }
    log.error('event dead-lettered', { queue, event: job.name, jobId: job.id, attempts: job.attemptsMade, error: error.message })
    // A payload without a valid id still gets a row of its own.
    const id = typeof job.data?.id === 'string' && /^[0-9a-f-]{36}$/i.test(job.data.id) ? job.data.id : crypto.randomUUID()
    try {
      await sql`
        insert into dead_letters (message_id, queue, name, data, error, attempts)
        values (${id}::uuid, ${queue}, ${job.name}, ${sql.json((job.data ?? null) as never)}, ${error.message.slice(0, 2000)}, ${job.attemptsMade})
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
