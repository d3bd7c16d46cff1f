/**
 * The jobs outbox rows travel in, for the dispatcher and the relay alike: one job per event when
 * a queue gets a single event, batch jobs otherwise. Job ids are deterministic (the event id; for
 * a batch, a hash of its event ids), so a repeated add of the same rows is a no-op in BullMQ.
 */
import { createHash } from 'node:crypto'
import { withTimeout } from '../data/db.ts'
import { BATCH_JOB, MAX_BATCH_EVENTS, type QueueName } from '../domain/contracts.ts'
import type { OutboxEvent } from './outbox.ts'
import type { Queues } from './queue.ts'

function envelopeOf(row: OutboxEvent) {
  return { id: row.eventId, name: row.name, payload: row.payload, occurredAt: row.occurredAt.toISOString(), ...(row.trace ? { trace: row.trace } : {}) }
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
export async function addToQueues(queues: Queues, rows: OutboxEvent[], timeoutMs: number): Promise<void> {
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
