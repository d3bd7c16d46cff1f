/**
 * The payment worker against the real Postgres and Redis: jobs are added as orders' relay adds
 * them, and what payments decides is read from its ledger, wallets and outbox. After every test,
 * every wallet's ledger sums to its balance.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { TEST_DATABASE_URL, TEST_REDIS_URL, waitFor } from '@shop/shared/testing'
import { balanceOf, createTestPayments, fundedWallet, type TestPayments } from '../../testing.ts'

let t: TestPayments
beforeAll(async () => {
  t = await createTestPayments({ lockDurationMs: 1000, stalledIntervalMs: 500 })
  await t.startWorker()
})
afterEach(async () => {
  expect(await t.unbalancedWallets()).toEqual([])
})
afterAll(() => t.close())

const order = (userId: string, amount: number, currency = 'EUR') => ({ orderId: crypto.randomUUID(), userId, amount, currency })

async function paymentEntries(orderId: string, kind = 'payment'): Promise<number> {
  const [row] = await t.db.sql`select count(*)::int as n from ledger_entries where order_id = ${orderId} and kind = ${kind}`
  return row!.n
}

async function outcome(orderId: string, name: string, count = 1) {
  const found = await waitFor(async () => {
    const rows = (await t.outcomes(orderId)).filter((o) => o.name === name)
    return rows.length >= count ? rows : undefined
  }, 15_000)
  expect(found?.length).toBeGreaterThanOrEqual(count)
  return found!
}

describe('payment.requested', () => {
  test('a batch job: one wallet affording two of three payments pays exactly two; other wallets alongside are paid', async () => {
    const { BATCH_JOB } = await import('@shop/shared/domain/contracts')
    const tight = await fundedWallet(t, 2000)
    const others = await Promise.all([fundedWallet(t, 5000), fundedWallet(t, 5000)])
    const requests = [order(tight, 900), order(others[0]!, 1000), order(tight, 900), order(others[1]!, 1000), order(tight, 900)]
    const events = requests.map((payload) => ({ id: Bun.randomUUIDv7(), name: 'payment.requested', payload, occurredAt: new Date().toISOString() }))
    await t.queues.get('payments').add(BATCH_JOB, { events }, { jobId: `batch-test-${events[0]!.id}` })
    const outcomes = await Promise.all(
      requests.map((r) => waitFor(async () => (await t.outcomes(r.orderId))[0]?.name, 15_000)),
    )
    // The wallet's events run in outbox order: the first two fit, the third does not.
    expect(outcomes).toEqual(['payment.succeeded', 'payment.succeeded', 'payment.succeeded', 'payment.succeeded', 'payment.declined'])
    expect(await balanceOf(t, tight)).toBe(200)
    expect(await balanceOf(t, others[0]!)).toBe(4000)
    expect(await balanceOf(t, others[1]!)).toBe(4000)
  })

  test('debits the wallet once and reports payment.succeeded with the ledger entry', async () => {
    const userId = await fundedWallet(t, 5000)
    const request = order(userId, 1999)
    await t.send('payment.requested', request)
    const [event] = await outcome(request.orderId, 'payment.succeeded')
    expect(event!.payload).toMatchObject({ orderId: request.orderId, userId, amount: 1999, currency: 'EUR' })
    expect(await balanceOf(t, userId)).toBe(3001)
    const [entry] = await t.db.sql`select * from ledger_entries where id = ${event!.payload.ledgerEntryId}`
    expect(entry).toMatchObject({ kind: 'payment', amount: -1999, balanceAfter: 3001, orderId: request.orderId })
  })

  test('the same message delivered 5 times debits once', async () => {
    const userId = await fundedWallet(t, 5000)
    const request = order(userId, 1000)
    const messageId = Bun.randomUUIDv7()
    for (let i = 0; i < 5; i++) await t.send('payment.requested', request, messageId)
    await outcome(request.orderId, 'payment.succeeded')
    await waitFor(async () => {
      const [row] = await t.db.sql`select count(*)::int as n from inbox where message_id = ${messageId}`
      return row!.n === 1
    })
    await Bun.sleep(300)
    expect(await paymentEntries(request.orderId)).toBe(1)
    expect(await balanceOf(t, userId)).toBe(4000)
    expect((await t.outcomes(request.orderId)).length).toBe(1)
  })

  test('a second request for a decided order (new message id) moves no money and reports the outcome again', async () => {
    const userId = await fundedWallet(t, 5000)
    const request = order(userId, 1200)
    await t.send('payment.requested', request)
    await outcome(request.orderId, 'payment.succeeded')
    await t.send('payment.requested', request)
    const events = await outcome(request.orderId, 'payment.succeeded', 2)
    expect(events[0]!.payload.ledgerEntryId).toBe(events[1]!.payload.ledgerEntryId)
    expect(await paymentEntries(request.orderId)).toBe(1)
    expect(await balanceOf(t, userId)).toBe(3800)
  })

  test.each([
    ['insufficient_funds', 500, 'EUR', 1000],
    ['currency_mismatch', 5000, 'USD', 1000],
  ])('declines with %s and moves no money', async (reason, balance, currency, amount) => {
    const userId = await fundedWallet(t, balance)
    const request = order(userId, amount, currency)
    await t.send('payment.requested', request)
    const [event] = await outcome(request.orderId, 'payment.declined')
    expect(event!.payload.reason).toBe(reason)
    expect(await balanceOf(t, userId)).toBe(balance)
    expect(await paymentEntries(request.orderId)).toBe(0)
  })

  test('declines with no_wallet when the user has none', async () => {
    const request = order(crypto.randomUUID(), 100)
    await t.send('payment.requested', request)
    const [event] = await outcome(request.orderId, 'payment.declined')
    expect(event!.payload.reason).toBe('no_wallet')
  })

  test('an exact balance is enough and leaves zero', async () => {
    const userId = await fundedWallet(t, 700)
    const request = order(userId, 700)
    await t.send('payment.requested', request)
    await outcome(request.orderId, 'payment.succeeded')
    expect(await balanceOf(t, userId)).toBe(0)
  })

  test('100 concurrent payments on a wallet that affords 10: exactly 10 debits, balance 0', async () => {
    const userId = await fundedWallet(t, 10 * 1500)
    const requests = Array.from({ length: 100 }, () => order(userId, 1500))
    await Promise.all(requests.map((r) => t.send('payment.requested', r)))
    const settled = await waitFor(async () => {
      const [row] = await t.db.sql`select count(*)::int as n from payments where user_id = ${userId}`
      return row!.n === 100
    }, 30_000)
    expect(settled).toBe(true)
    const rows = await t.db.sql`select status, decline_reason, count(*)::int as n from payments where user_id = ${userId} group by 1, 2 order by 1`
    expect(rows.map((r) => ({ ...r }))).toEqual([
      { status: 'declined', declineReason: 'insufficient_funds', n: 90 },
      { status: 'succeeded', declineReason: null, n: 10 },
    ])
    expect(await balanceOf(t, userId)).toBe(0)
    const [debits] = await t.db.sql`
      select count(*)::int as n from ledger_entries l join wallets w on w.id = l.wallet_id where w.user_id = ${userId} and kind = 'payment'`
    expect(debits!.n).toBe(10)
  }, 60_000)

  test('a malformed payment.requested (amount as a string) is dead-lettered and moves nothing', async () => {
    const userId = await fundedWallet(t, 5000)
    const id = Bun.randomUUIDv7()
    const orderId = crypto.randomUUID()
    await t.queues.get('payments').add('payment.requested', {
      id,
      name: 'payment.requested',
      payload: { orderId, userId, amount: '1999', currency: 'EUR' },
      occurredAt: new Date().toISOString(),
    }, { jobId: id })
    const dead = await waitFor(async () => (await t.db.sql`select * from dead_letters where message_id = ${id}`)[0])
    expect(dead!.error).toContain('/amount')
    expect(await balanceOf(t, userId)).toBe(5000)
  })

  test('a worker killed after the commit but before the ack: the job comes back and does not debit again', async () => {
    const userId = await fundedWallet(t, 5000)
    const request = order(userId, 2500)
    // A second prefix, so only the crashing worker sees this job first.
    const crashPrefix = `${t.prefix}_crash`
    const crasher = Bun.spawn(['bun', join(import.meta.dir, '../../jobs/crash-worker.fixture.ts')], {
      env: { ...process.env, FIXTURE_SCHEMA: t.db.schema, FIXTURE_PREFIX: crashPrefix, DATABASE_URL: TEST_DATABASE_URL, REDIS_URL: TEST_REDIS_URL },
      stdout: 'pipe',
      stderr: 'inherit',
    })
    const { Queues, producerConnection } = await import('@shop/shared/messaging/queue')
    const producer = producerConnection(TEST_REDIS_URL)
    const queues = new Queues(producer, crashPrefix)
    const { createPaymentsWorker } = await import('../../worker.ts')
    const recovery = createPaymentsWorker({ ...t.workerDeps, prefix: crashPrefix, lockDurationMs: 1000, stalledIntervalMs: 300 })
    try {
      const messageId = Bun.randomUUIDv7()
      const stdout = new Response(crasher.stdout as ReadableStream).text()
      await waitFor(async () => (await queues.get('payments').getWorkers()).length > 0, 10_000)
      await queues.get('payments').add('payment.requested', { id: messageId, name: 'payment.requested', payload: request, occurredAt: new Date().toISOString() }, { jobId: messageId })
      const exit = await crasher.exited
      expect(exit).not.toBe(0) // SIGKILL
      expect(await stdout).toContain(`committed ${messageId} processed`)
      // The money moved and the job is still active under a dead worker's lock.
      expect(await balanceOf(t, userId)).toBe(2500)
      expect(await (await queues.get('payments').getJob(messageId))!.getState()).toBe('active')

      await recovery.start()
      const done = await waitFor(async () => (await (await queues.get('payments').getJob(messageId))?.getState()) === 'completed', 20_000, 100)
      expect(done).toBe(true)
      const job = await queues.get('payments').getJob(messageId)
      expect(job!.returnvalue).toBe('duplicate')
      expect(await balanceOf(t, userId)).toBe(2500)
      expect(await paymentEntries(request.orderId)).toBe(1)
    } finally {
      if (crasher.exitCode === null) crasher.kill('SIGKILL')
      await recovery.stop()
      await queues.close(2000)
      producer.disconnect()
      const { deleteRedisPrefix } = await import('@shop/shared/testing')
      await deleteRedisPrefix(crashPrefix)
    }
  }, 60_000)
})

describe('refund.requested', () => {
  async function paidOrder(balance: number, amount: number) {
    const userId = await fundedWallet(t, balance)
    const request = order(userId, amount)
    await t.send('payment.requested', request)
    await outcome(request.orderId, 'payment.succeeded')
    return { userId, request }
  }

  test('credits back exactly once even when requested twice', async () => {
    const { userId, request } = await paidOrder(5000, 3000)
    expect(await balanceOf(t, userId)).toBe(2000)
    const refund = { ...request, reason: 'user_cancelled' }
    await Promise.all([t.send('refund.requested', refund), t.send('refund.requested', refund)])
    await outcome(request.orderId, 'payment.refunded', 2)
    expect(await balanceOf(t, userId)).toBe(5000)
    expect(await paymentEntries(request.orderId, 'refund')).toBe(1)
    const [payment] = await t.db.sql`select status from payments where order_id = ${request.orderId}`
    expect(payment!.status).toBe('refunded')
  })

  test('a refund that does not match the payment is dead-lettered and moves nothing', async () => {
    const { userId, request } = await paidOrder(5000, 1000)
    const id = await t.send('refund.requested', { ...request, amount: 9999, reason: 'user_cancelled' })
    const dead = await waitFor(async () => (await t.db.sql`select * from dead_letters where message_id = ${id}`)[0])
    expect(dead!.error).toContain('does not match')
    expect(await balanceOf(t, userId)).toBe(4000)
  })

  test('a refund for a declined payment gives nothing back', async () => {
    const userId = await fundedWallet(t, 100)
    const request = order(userId, 1000)
    await t.send('payment.requested', request)
    await outcome(request.orderId, 'payment.declined')
    const id = await t.send('refund.requested', { ...request, reason: 'timeout' })
    await waitFor(async () => (await t.db.sql`select 1 from inbox where message_id = ${id}`).length === 1)
    expect(await balanceOf(t, userId)).toBe(100)
    expect((await t.outcomes(request.orderId)).map((o) => o.name)).toEqual(['payment.declined'])
  })

  test('a refund that arrives before its payment waits for it (retried), then credits once', async () => {
    const userId = await fundedWallet(t, 5000)
    const request = order(userId, 1500)
    await t.send('refund.requested', { ...request, reason: 'timeout' })
    await Bun.sleep(300)
    await t.send('payment.requested', request)
    await outcome(request.orderId, 'payment.refunded')
    expect(await balanceOf(t, userId)).toBe(5000)
  }, 30_000)
})

describe('void.requested (an order cancelled before orders knew of its payment)', () => {
  const voidOf = (request: ReturnType<typeof order>) => ({ ...request, reason: 'timeout' })

  test('before any request: nothing moves, and a payment request that comes later is refused with the same answer', async () => {
    const userId = await fundedWallet(t, 5000)
    const request = order(userId, 1200)
    await t.send('void.requested', voidOf(request))
    await outcome(request.orderId, 'payment.voided')
    await t.send('payment.requested', request)
    await outcome(request.orderId, 'payment.voided', 2)
    expect(await balanceOf(t, userId)).toBe(5000)
    expect(await paymentEntries(request.orderId)).toBe(0)
    const [payment] = await t.db.sql`select status, payment_entry from payments where order_id = ${request.orderId}`
    expect(payment).toEqual({ status: 'voided', paymentEntry: null })
  })

  test('after the payment was taken: refunded exactly once, even when the void comes three times', async () => {
    const userId = await fundedWallet(t, 5000)
    const request = order(userId, 1200)
    await t.send('payment.requested', request)
    await outcome(request.orderId, 'payment.succeeded')
    expect(await balanceOf(t, userId)).toBe(3800)
    for (let i = 0; i < 3; i++) await t.send('void.requested', voidOf(request))
    await outcome(request.orderId, 'payment.refunded', 3)
    expect(await balanceOf(t, userId)).toBe(5000)
    expect(await paymentEntries(request.orderId, 'refund')).toBe(1)
    // A payment request repeated after that is answered with the refund, and moves nothing.
    await t.send('payment.requested', request)
    await outcome(request.orderId, 'payment.refunded', 4)
    expect(await balanceOf(t, userId)).toBe(5000)
    expect(await paymentEntries(request.orderId)).toBe(1)
  })

  test('a declined payment is answered with its decline again (orders takes it as the void confirmed): nothing was taken', async () => {
    const userId = await fundedWallet(t, 100)
    const request = order(userId, 1000)
    await t.send('payment.requested', request)
    await outcome(request.orderId, 'payment.declined')
    await t.send('void.requested', voidOf(request))
    await outcome(request.orderId, 'payment.declined', 2)
    expect(await balanceOf(t, userId)).toBe(100)
    const [payment] = await t.db.sql`select status from payments where order_id = ${request.orderId}`
    expect(payment!.status).toBe('declined')
  })

  test.each([
    ['the payment first', ['payment.requested', 'void.requested'], 'payment.refunded', 1],
    ['the void first', ['void.requested', 'payment.requested'], 'payment.voided', 0],
  ] as const)('racing in one batch, %s: no money kept either way', async (_, names, answer, refunds) => {
    const { BATCH_JOB } = await import('@shop/shared/domain/contracts')
    const userId = await fundedWallet(t, 5000)
    const request = order(userId, 2500)
    const events = names.map((name) => ({
      id: Bun.randomUUIDv7(),
      name,
      payload: name === 'void.requested' ? voidOf(request) : request,
      occurredAt: new Date().toISOString(),
    }))
    await t.queues.get('payments').add(BATCH_JOB, { events }, { jobId: `batch-void-${events[0]!.id}` })
    await outcome(request.orderId, answer)
    expect(await balanceOf(t, userId)).toBe(5000)
    expect(await paymentEntries(request.orderId, 'refund')).toBe(refunds)
    expect(await paymentEntries(request.orderId)).toBe(refunds)
  })

  test('racing as separate jobs on separate workers, 20 orders: every wallet ends where it started', async () => {
    const second = await t.startWorker()
    expect(second).toBeDefined()
    const requests = await Promise.all(Array.from({ length: 20 }, async () => order(await fundedWallet(t, 3000), 1000)))
    await Promise.all(requests.flatMap((r, i) => (i % 2 ? [t.send('payment.requested', r), t.send('void.requested', voidOf(r))] : [t.send('void.requested', voidOf(r)), t.send('payment.requested', r)])))
    for (const r of requests) {
      const settled = await waitFor(async () => {
        const [row] = await t.db.sql<{ status: string }[]>`select status from payments where order_id = ${r.orderId}`
        return row && (row.status === 'voided' || row.status === 'refunded') ? row.status : undefined
      }, 15_000)
      expect(['voided', 'refunded']).toContain(settled!)
      expect(await balanceOf(t, r.userId)).toBe(3000)
      expect(await paymentEntries(r.orderId, 'refund')).toBe(await paymentEntries(r.orderId))
    }
  }, 30_000)
})

describe('batches on two workers', () => {
  test('two batches paying for the same wallets in opposite orders never deadlock (lanes start in key order)', async () => {
    const { BATCH_JOB } = await import('@shop/shared/domain/contracts')
    const { Queues, producerConnection } = await import('@shop/shared/messaging/queue')
    const { capturingLog, deleteRedisPrefix, uniqueName } = await import('@shop/shared/testing')
    const { createPaymentsWorker } = await import('../../worker.ts')
    const prefix = uniqueName('paydl')
    const { log, lines: warnings } = capturingLog()
    const workers = [0, 1].map(() => createPaymentsWorker({ ...t.workerDeps, prefix, log, concurrency: 4 }))
    const producer = producerConnection(TEST_REDIS_URL)
    const queues = new Queues(producer, prefix)
    try {
      for (const worker of workers) await worker.start()
      const users = await Promise.all(Array.from({ length: 12 }, () => fundedWallet(t, 1_000_000)))
      const requests: ReturnType<typeof order>[] = []
      for (let round = 0; round < 8; round++) {
        // Each job pays once for every wallet; the even jobs in one order, the odd ones in the other.
        const jobs = Array.from({ length: 4 }, (_, j) => {
          const ordered = j % 2 ? [...users].reverse() : users
          const batch = ordered.map((userId) => order(userId, 100))
          requests.push(...batch)
          const events = batch.map((payload) => ({ id: Bun.randomUUIDv7(), name: 'payment.requested', payload, occurredAt: new Date().toISOString() }))
          return queues.get('payments').add(BATCH_JOB, { events }, { jobId: `batch-dl-${events[0]!.id}` })
        })
        await Promise.all(jobs)
      }
      const paid = await waitFor(async () => {
        const [row] = await t.db.sql<{ n: number }[]>`select count(*)::int as n from payments where order_id = any(${requests.map((r) => r.orderId)}::uuid[])`
        return row!.n === requests.length
      }, 30_000)
      expect(paid).toBe(true)
      expect(warnings.filter((w) => w.includes('deadlock'))).toEqual([])
      for (const userId of users) expect(await balanceOf(t, userId)).toBe(1_000_000 - 8 * 4 * 100)
    } finally {
      for (const worker of workers) await worker.stop()
      await queues.close(2000)
      producer.disconnect()
      await deleteRedisPrefix(prefix)
    }
  }, 60_000)
})
