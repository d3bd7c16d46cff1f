/**
 * A job as a consumer receives it, checked against the contract (domain/contracts.ts) before any
 * handler sees it: a bad one fails at once with `UnrecoverableError`, never to be retried.
 */
import { UnrecoverableError, type Job } from 'bullmq'
import { Value } from '@sinclair/typebox/value'
import { EVENTS, type EventEnvelope, type EventName } from '../domain/contracts.ts'

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
