/** Payments on a schema and queue prefix of their own, for tests and the benchmark. */
import type { EventEnvelope, EventName, EventPayload } from '@shop/shared/domain/contracts'
import { IdempotencyStore } from '@shop/shared/http/idempotency'
import { Queues, producerConnection } from '@shop/shared/messaging/queue'
import { createRedis } from '@shop/shared/data/redis'
import { TEST_REDIS_URL, deleteRedisPrefix, testLog, testSchema, testTokens, uniqueName } from '@shop/shared/testing'
import { createApp } from './app.ts'
import type { PaymentProvider } from './modules/top-ups/provider.ts'
import { migratePayments } from './bootstrap.ts'
import { createPaymentsWorker } from './worker.ts'

export async function createTestPayments(options: { maxDeposit?: number; lockDurationMs?: number; stalledIntervalMs?: number; provider?: PaymentProvider } = {}) {
  const db = testSchema('pay')
  const prefix = uniqueName('payq')
  const redis = createRedis(TEST_REDIS_URL)
  const tokens = await testTokens()
  await migratePayments(db.sql, db.schema, testLog)
  const app = createApp({
    sql: db.sql,
    redis,
    log: testLog,
    verifier: tokens.verifier,
    idempotency: new IdempotencyStore(db.sql),
    maxDeposit: options.maxDeposit ?? 1_000_000,
    currencies: ['EUR', 'USD', 'JPY'],
    provider: options.provider,
  })
  const workerDeps = {
    sql: db.sql,
    schema: db.schema,
    redisUrl: TEST_REDIS_URL,
    prefix,
    log: testLog,
    concurrency: 16,
    lockDurationMs: options.lockDurationMs,
    stalledIntervalMs: options.stalledIntervalMs,
  }
  const producer = producerConnection(TEST_REDIS_URL)
  const queues = new Queues(producer, prefix)
  const workers: ReturnType<typeof createPaymentsWorker>[] = []

  return {
    app,
    db,
    prefix,
    tokens,
    queues,
    workerDeps,
    /** Starts a worker process's consumer and relay in this process. */
    async startWorker() {
      const worker = createPaymentsWorker(workerDeps)
      await worker.start()
      workers.push(worker)
      return worker
    },
    /** Adds a job as orders' relay would: job id = message id. */
    async send<N extends EventName>(name: N, payload: EventPayload<N>, id: string = Bun.randomUUIDv7()): Promise<string> {
      const envelope: EventEnvelope<N> = { id, name, payload, occurredAt: new Date().toISOString() }
      await queues.get('payments').add(name, envelope, { jobId: `${id}-${Math.random().toString(36).slice(2, 8)}` })
      return id
    },
    /** The events payments has written to its outbox for `orderId`. */
    async outcomes(orderId: string): Promise<{ name: string; payload: Record<string, any> }[]> {
      return [...(await db.sql<{ name: string; payload: Record<string, any> }[]>`
        select name, payload from outbox where payload->>'orderId' = ${orderId} order by id`)]
    },
    /** Every wallet whose ledger does not sum to its balance (should be none). */
    async unbalancedWallets(): Promise<unknown[]> {
      return [...(await db.sql`
        select w.id, w.balance, coalesce(sum(l.amount), 0)::bigint as ledger
        from wallets w left join ledger_entries l on l.wallet_id = w.id
        group by w.id having w.balance <> coalesce(sum(l.amount), 0)`)]
    },
    async close() {
      for (const worker of workers) await worker.stop()
      await queues.close(3000)
      producer.disconnect()
      redis.disconnect()
      await deleteRedisPrefix(prefix)
      await db.drop()
    },
  }
}

export type TestPayments = Awaited<ReturnType<typeof createTestPayments>>

/** Creates a funded wallet directly (as deposits would) and returns its user id. */
export async function fundedWallet(t: TestPayments, balance: number, currency = 'EUR'): Promise<string> {
  const userId = crypto.randomUUID()
  await t.db.sql.begin(async (tx) => {
    const walletId = Bun.randomUUIDv7()
    await tx`insert into wallets (id, user_id, currency) values (${walletId}, ${userId}, ${currency})`
    if (balance > 0) {
      await tx`update wallets set balance = ${balance} where id = ${walletId}`
      await tx`
        insert into ledger_entries (id, wallet_id, kind, amount, balance_after, deposit_key)
        values (${Bun.randomUUIDv7()}, ${walletId}, 'deposit', ${balance}, ${balance}, ${'seed-' + walletId})`
    }
  })
  return userId
}

export async function balanceOf(t: TestPayments, userId: string): Promise<number> {
  const [row] = await t.db.sql<{ balance: number }[]>`select balance from wallets where user_id = ${userId}`
  return row!.balance
}
