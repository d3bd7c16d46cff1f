/**
 * Micro-benchmark of the payments worker alone (not a test): N payment.requested jobs spread
 * over W funded wallets are queued first, then one worker process (consumer + outbox relay, as
 * `worker.ts` runs them) takes them. Prints jobs/s until every outcome is relayed, and the CPU
 * milliseconds this process spent per payment (Postgres and Redis CPU not included).
 *
 *   bun run bench:payments-worker [jobs=5000] [wallets=500] [concurrency=16] [events-per-job=1]
 * With events-per-job > 1 the requests are queued as batch jobs, the way the relay sends them under load.
 * Uses DATABASE_URL / REDIS_URL (default: local servers), a schema and queue prefix of its own,
 * and removes both afterwards.
 */
import { BATCH_JOB } from '@shop/shared/domain/contracts'
import { Queues, producerConnection } from '@shop/shared/messaging/queue'
import { TEST_REDIS_URL, deleteRedisPrefix, testLog, testSchema, uniqueName } from '@shop/shared/testing'
import { migratePayments } from '../src/bootstrap.ts'
import { createPaymentsWorker } from '../src/worker.ts'

const [jobs = 5000, walletCount = 500, concurrency = 16, perJob = 1] = process.argv.slice(2).map(Number)
const db = testSchema('bench')
const prefix = uniqueName('bench')
const producer = producerConnection(TEST_REDIS_URL)
const queues = new Queues(producer, prefix)

try {
  await migratePayments(db.sql, db.schema, testLog)
  const users = Array.from({ length: walletCount }, () => crypto.randomUUID())
  await db.sql.begin(async (tx) => {
    for (const userId of users) {
      const walletId = Bun.randomUUIDv7()
      const balance = 1_000_000_000
      await tx`insert into wallets (id, user_id, currency, balance) values (${walletId}, ${userId}, 'EUR', ${balance})`
      await tx`insert into ledger_entries (id, wallet_id, kind, amount, balance_after, deposit_key)
               values (${Bun.randomUUIDv7()}, ${walletId}, 'deposit', ${balance}, ${balance}, 'seed')`
    }
  })
  const queue = queues.get('payments')
  const requests = Array.from({ length: jobs }, (_, i) => {
    const id = Bun.randomUUIDv7()
    const payload = { orderId: crypto.randomUUID(), userId: users[i % users.length]!, amount: 1999, currency: 'EUR' }
    return { id, name: 'payment.requested' as const, payload, occurredAt: new Date().toISOString() }
  })
  const jobList =
    perJob <= 1
      ? requests.map((data) => ({ name: data.name as string, data: data as unknown, opts: { jobId: data.id } }))
      : Array.from({ length: Math.ceil(jobs / perJob) }, (_, i) => {
          const events = requests.slice(i * perJob, (i + 1) * perJob)
          return { name: BATCH_JOB, data: { events } as unknown, opts: { jobId: `bench-${events[0]!.id}` } }
        })
  for (let start = 0; start < jobList.length; start += 1000) await queue.addBulk(jobList.slice(start, start + 1000))
  console.log(`queued ${jobs} payment requests in ${jobList.length} jobs over ${walletCount} wallets; worker concurrency ${concurrency}`)

  const worker = createPaymentsWorker({ sql: db.sql, schema: db.schema, redisUrl: TEST_REDIS_URL, prefix, log: testLog, concurrency })
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  await worker.start()
  let sent = 0
  let lastPrint = started
  while (sent < jobs) {
    await Bun.sleep(100)
    const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from outbox where sent_at is not null`
    sent = row!.n
    if (performance.now() - lastPrint >= 1000) {
      lastPrint = performance.now()
      console.log(`  ${sent}/${jobs} relayed, ${Math.round(sent / ((lastPrint - started) / 1000))} jobs/s`)
    }
    if (performance.now() - started > 300_000) throw new Error('benchmark did not finish within 5 minutes')
  }
  const seconds = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  await worker.stop()
  const [check] = await db.sql<{ payments: number; unbalanced: number }[]>`
    select (select count(*)::int from payments where status = 'succeeded') as payments,
           (select count(*)::int from (select w.id from wallets w join ledger_entries l on l.wallet_id = w.id
              group by w.id having w.balance <> sum(l.amount)) x) as unbalanced`
  const cpuMs = (cpu.user + cpu.system) / 1000
  console.log(
    `payment_jobs_per_s=${Math.round(jobs / seconds)} cpu_ms_per_payment=${(cpuMs / jobs).toFixed(3)} ` +
      `seconds=${seconds.toFixed(2)} succeeded=${check!.payments} unbalanced_wallets=${check!.unbalanced}`,
  )
} finally {
  await queues.close(2000)
  producer.disconnect()
  await deleteRedisPrefix(prefix)
  await db.drop()
}
