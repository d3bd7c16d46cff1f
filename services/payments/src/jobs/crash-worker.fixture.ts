/**
 * A payments worker that dies (SIGKILL) right after its first commit, before BullMQ hears that
 * the job is done: the crash window the inbox exists for. Used by payments.test.ts.
 * Env: FIXTURE_SCHEMA, FIXTURE_PREFIX, DATABASE_URL, REDIS_URL.
 */
import { createSql } from '@shop/shared/data/db'
import { createLogger } from '@shop/shared/runtime/logger'
import { createPaymentsWorker } from '../worker.ts'

const schema = process.env.FIXTURE_SCHEMA!
const sql = createSql({ url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', schema })
const worker = createPaymentsWorker({
  sql,
  schema,
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  prefix: process.env.FIXTURE_PREFIX!,
  log: createLogger('crash-worker', 'silent'),
  concurrency: 1,
  lockDurationMs: 1000,
  // BullMQ lets one stalled check run per interval of the worker that ran the last one.
  stalledIntervalMs: 300,
  afterCommit: (event, outcome) => {
    process.stdout.write(`committed ${event.id} ${outcome}\n`)
    process.kill(process.pid, 'SIGKILL')
  },
})
await worker.start()
process.stdout.write('ready\n')
