/**
 * A consumer's batch jobs (consumer.ts): the new events of a batch in one transaction with one
 * inbox insert, handled in lanes by `batchKey` that start in key order.
 */
import { UnrecoverableError, type Job } from 'bullmq'
import type { Histogram } from 'prom-client'
import type { Tx } from '../data/db.ts'
import { BATCH_JOB, type EventEnvelope, type EventName, type EventsFor, type QueueName } from '../domain/contracts.ts'
import type { ConsumerOptions, Handler, Outcome } from './consumer.ts'
import { eventSpan, parseEnvelope } from './envelope.ts'

/** What batch handling uses of its consumer: the consumer's own single-event path among them. */
export interface BatchConsumer {
  readonly duration: Histogram<'event'> | undefined
  inTransaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>
  handleOne(envelope: EventEnvelope): Promise<Outcome>
  finished(envelope: EventEnvelope, outcome: Outcome): Promise<void>
  deadLetter(job: Job, data: unknown, message: string): Promise<void>
}

export class BatchJobs<Q extends QueueName> {
  /** Batches of this process, one after the other. */
  private batchTail: Promise<void> = Promise.resolve()

  constructor(
    private readonly options: ConsumerOptions<Q>,
    private readonly consumer: BatchConsumer,
  ) {}

  /**
   * A batch job: every new event of it in ONE transaction (one inbox insert, one commit). Batches
   * run one at a time in a process so two of them never take the same rows in opposite orders.
   * An event the contract refuses is dead-lettered on its own; if the transaction fails for
   * another reason, each event is retried in its own transaction, so one bad event cannot hold
   * the others back, and the job fails (to be retried; the inbox skips what is done) only for
   * the events that still fail.
   */
  async process(job: Job, accepted: string[]): Promise<Outcome> {
    const items: unknown[] = Array.isArray(job.data?.events) ? job.data.events : []
    if (items.length === 0) throw new UnrecoverableError('Malformed batch: events are required')
    const events: EventEnvelope[] = []
    for (const item of items) {
      try {
        events.push(parseEnvelope({ name: (item as { name?: string } | null)?.name ?? '', data: item, id: job.id }, accepted))
      } catch (error) {
        await this.consumer.deadLetter(job, item, (error as Error).message)
      }
    }
    if (events.length === 0) return 'duplicate'
    const previous = this.batchTail
    let release = () => {}
    this.batchTail = new Promise<void>((resolve) => (release = resolve))
    await previous
    try {
      let outcomes: Map<string, Outcome>
      const stopTimer = this.consumer.duration?.startTimer({ event: BATCH_JOB })
      try {
        outcomes = await this.consumer.inTransaction(async (tx) => {
          const fresh = await tx<{ messageId: string }[]>`
            insert into inbox (message_id, queue, name)
            select * from unnest(${events.map((e) => e.id)}::uuid[], ${events.map(() => this.options.queue)}::text[], ${events.map((e) => e.name)}::text[])
            on conflict (message_id) do nothing
            returning message_id`
          const todo = new Set(fresh.map((r) => r.messageId))
          const result = new Map<string, Outcome>()
          const lanes = new Map<string, EventEnvelope[]>()
          for (const event of events) {
            if (!todo.delete(event.id)) {
              result.set(event.id, result.get(event.id) ?? 'duplicate')
              continue
            }
            result.set(event.id, 'processed')
            const key = this.options.batchKey?.(event) ?? ''
            const lane = lanes.get(key)
            if (lane) lane.push(event)
            else lanes.set(key, [event])
          }
          // Lanes start in key order, and their first statements go out in that order on the one
          // connection: two batches that lock one row per key (a wallet, an order) first take
          // those locks in the same order, so they never deadlock with each other.
          let ordered = [...lanes.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, lane]) => lane)
          if (lanes.size > 0) await this.options.lockFirst?.(tx, ordered.flat())
          // Names with a set-based handler: all their events in one call; what it leaves over goes
          // to the single handlers in the lanes.
          const batched = this.options.batchHandlers ?? {}
          for (const [name, handle] of Object.entries(batched) as [string, (tx: Tx, events: EventEnvelope[]) => Promise<EventEnvelope[]>][]) {
            const mine = ordered.flat().filter((e) => e.name === name)
            if (mine.length === 0) continue
            const left = new Set((await handle(tx, mine)).map((e) => e.id))
            ordered = ordered.map((lane) => lane.filter((e) => e.name !== name || left.has(e.id))).filter((lane) => lane.length > 0)
          }
          const settled = await Promise.allSettled(
            ordered.map(async (lane) => {
              // Each event in its own span, continuing the trace that wrote it: what it publishes carries that trace on.
              for (const event of lane) await eventSpan(this.options.queue, event, () => (this.options.handlers[event.name as EventsFor<Q>] as Handler<EventName>)(tx, event))
            }),
          )
          const errors = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as { code?: string }] : []))
          // The cause, not the "transaction is aborted" that the other lanes got after it.
          if (errors.length) throw errors.find((e) => e?.code !== '25P02') ?? errors[0]
          return result
        })
      } catch (error) {
        this.options.log.warn('batch failed; handling its events one by one', { queue: this.options.queue, jobId: job.id, events: events.length, error: (error as Error).message })
        let failure: unknown
        for (const event of events) {
          try {
            await this.consumer.handleOne(event)
          } catch (eventError) {
            failure ??= eventError
          }
        }
        if (failure) throw failure
        return 'processed'
      }
      stopTimer?.()
      for (const event of events) await this.consumer.finished(event, outcomes.get(event.id)!)
      return [...outcomes.values()].includes('processed') ? 'processed' : 'duplicate'
    } finally {
      release()
    }
  }
}
