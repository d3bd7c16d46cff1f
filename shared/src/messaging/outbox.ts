/**
 * The transactional outbox, writing side. `publish` writes an event in the caller's transaction
 * (one row per consumer queue). Delivery has two paths:
 * - at once: a transaction run through an `OutboxDispatcher` (outbox-dispatcher.ts; every API and
 *   worker that publishes does so) hands its events to the dispatcher when it commits; the
 *   dispatcher adds them to BullMQ right away (several transactions' events together while busy)
 *   and marks the rows sent a moment later, many in one statement. Such rows are written
 *   `available_at` a grace period ahead, so no relay takes them while the dispatcher is at work;
 * - whatever is left: `OutboxRelay` (outbox-relay.ts) polls for rows that are available and not
 *   sent (the process died before its dispatcher added them, Redis was down, an event written
 *   without a dispatcher), leases them in one statement (`FOR UPDATE SKIP LOCKED`, so relays never
 *   share a row), adds them and marks them sent.
 * Job ids are deterministic (the event id; for a batch, a hash of its event ids: outbox-jobs.ts),
 * so a repeated add of the same rows is a no-op in BullMQ, and consumers' inboxes skip whatever
 * still gets through twice (the same event in two different batches, say).
 */
import type { Db, Fragment, Tx } from '../data/db.ts'
import { traceHeaders } from '../runtime/tracing.ts'
import { EVENTS, type EventName, type EventPayload, type QueueName } from '../domain/contracts.ts'
import type { OutboxDispatcher } from './outbox-dispatcher.ts'

/** One outbox row as a dispatcher sends it: an event for one consumer queue. */
export interface OutboxEvent {
  eventId: string
  queue: QueueName
  name: EventName
  payload: unknown
  occurredAt: Date
  /** The W3C traceparent of the transaction that wrote it, when tracing is on. */
  trace?: string | null
}

/** How long after its commit a dispatched event is left to its dispatcher before relays may take it. */
export const DISPATCH_GRACE_MS = 2000

/**
 * Transactions whose events a dispatcher sends when they commit, with the events written so far
 * (set by `OutboxDispatcher.transaction`, read by `publish`).
 */
export const dispatched = new WeakMap<object, OutboxEvent[]>()

function outboxEvents(eventId: string, name: EventName, payload: unknown, occurredAt: Date): OutboxEvent[] {
  // The trace the writing transaction runs in (a request's, a consumed event's): its consumers continue it.
  const trace = traceHeaders().traceparent ?? null
  return (EVENTS[name].consumers as readonly QueueName[]).map((queue) => ({ eventId, queue, name, payload, occurredAt, trace }))
}

/** The insert of one event's rows, available to relays `graceMs` after the statement runs. */
function insertEvents(db: Db, events: OutboxEvent[], graceMs: number, guard?: Fragment) {
  const { eventId, name, payload, occurredAt, trace } = events[0]!
  return db`
    insert into outbox (event_id, queue, name, payload, occurred_at, available_at, trace)
    select ${eventId}::uuid, q, ${name}, ${db.json(payload as never)}, ${occurredAt}, now() + ${graceMs} * interval '1 millisecond', ${trace ?? null}
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
 * `publish` as a part of a bigger statement of `tx`: `fragment` is a data-modifying CTE body that
 * writes the event's rows; call `written` once that statement has run (the dispatcher of `tx`, if
 * any, then sends the event when `tx` commits).
 */
export function publishInStatement<N extends EventName>(tx: Tx, name: N, payload: EventPayload<N>): { fragment: Fragment; written: () => void } {
  const events = outboxEvents(Bun.randomUUIDv7(), name, payload, new Date())
  const sending = dispatched.get(tx)
  return { fragment: insertEvents(tx, events, sending ? DISPATCH_GRACE_MS : 0), written: () => void sending?.push(...events) }
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
