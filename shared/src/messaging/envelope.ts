/**
 * A job as a consumer receives it, checked against the contract (domain/contracts.ts) before any
 * handler sees it: a bad one fails at once with `UnrecoverableError`, never to be retried.
 */
import { UnrecoverableError, type Job } from 'bullmq'
import { Value } from '@sinclair/typebox/value'
import { EVENTS, type EventEnvelope, type EventName } from '../domain/contracts.ts'
import { SpanKind, contextFrom, inSpan, tracingEnabled } from '../runtime/tracing.ts'

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

const TRACEPARENT = /^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/

/**
 * Runs the handling of `event` in a consumer span that continues the trace of the transaction that
 * wrote it (its `trace`, when well formed); just runs it when tracing is off.
 */
export function eventSpan<T>(queue: string, event: EventEnvelope, work: () => Promise<T>): Promise<T> {
  if (!tracingEnabled()) return work()
  const parent = typeof event.trace === 'string' && TRACEPARENT.test(event.trace) ? contextFrom({ traceparent: event.trace }) : undefined
  return inSpan(`process ${event.name}`, { kind: SpanKind.CONSUMER, parent, attributes: { 'messaging.system': 'bullmq', 'messaging.destination.name': queue, 'messaging.message.id': event.id } }, work)
}
