/**
 * The messaging backbone against the real Postgres and Redis: outbox → relay → BullMQ →
 * consumer with inbox. Effects are counted in a table without a unique constraint, so a
 * duplicate effect would show.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Queue } from 'bullmq'
import { Consumer } from './consumer.ts'
import { BATCH_JOB, type EventEnvelope } from '../domain/contracts.ts'
import { kernel, migrate } from '../data/migrate.ts'
import { publish } from './outbox.ts'
import { OutboxDispatcher } from './outbox-dispatcher.ts'
import { batchJobId } from './outbox-jobs.ts'
import { OutboxRelay } from './outbox-relay.ts'
import { Queues, producerConnection } from './queue.ts'
import { PrivateRedis, TEST_REDIS_URL, deleteRedisPrefix, testLog, testSchema, uniqueName, waitFor } from '../testing.ts'

const db = testSchema('msg')
const prefix = uniqueName('msgq')
const producer = producerConnection(TEST_REDIS_URL)
const queues = new Queues(producer, prefix)
let failuresLeft = 0
/** Orders whose handler fails until they are taken out again. */
const poisoned = new Set<string>()
let consumer: Consumer<'catalog'>

async function effects(orderId?: string): Promise<number> {
  const [row] = orderId
    ? await db.sql`select count(*)::int as n from effects where order_id = ${orderId}`
    : await db.sql`select count(*)::int as n from effects`
  return row!.n
}

function makeConsumer(redisUrl = TEST_REDIS_URL, queuePrefix = prefix) {
  return new Consumer({
    queue: 'catalog',
    sql: db.sql,
    redisUrl,
    prefix: queuePrefix,
    log: testLog,
    handlers: {
      'order.paid': async (tx, event) => {
        if (failuresLeft > 0) {
          failuresLeft--
          throw new Error('transient failure')
        }
        if (poisoned.has(event.payload.orderId)) throw new Error('poisoned order')
        await tx`insert into effects (order_id, name) values (${event.payload.orderId}, ${event.name})`
      },
      'order.cancelled': async (tx, event) => {
        await tx`insert into effects (order_id, name) values (${event.payload.orderId}, ${event.name})`
      },
      'order.returned': async (tx, event) => {
        await tx`insert into effects (order_id, name) values (${event.payload.orderId}, ${event.name})`
      },
      'review.changed': async (tx, event) => {
        await tx`insert into effects (order_id, name) values (${event.payload.reviewId}, ${event.name})`
      },
    },
  })
}

const paid = () => ({ orderId: crypto.randomUUID(), userId: crypto.randomUUID() })

async function publishPaid(payload = paid()) {
  await db.sql.begin((tx) => publish(tx, 'order.paid', payload))
  return payload
}

beforeAll(async () => {
  await migrate(db.sql, db.schema, kernel('outbox', 'inbox'))
  await db.sql`create table effects (order_id uuid not null, name text not null)`
  consumer = makeConsumer()
  consumer.start()
})

afterAll(async () => {
  await consumer.close()
  await queues.close()
  producer.disconnect()
  await deleteRedisPrefix(prefix)
  await db.drop()
})

describe('outbox and relay', () => {
  test('an event committed with its transaction is delivered and handled once', async () => {
    const relay = new OutboxRelay({ sql: db.sql, queues, log: testLog })
    const { orderId } = await publishPaid()
    expect(await relay.runOnce()).toBe(1)
    expect(await waitFor(() => effects(orderId).then((n) => n === 1))).toBe(true)
    const [row] = await db.sql`select sent_at from outbox where payload->>'orderId' = ${orderId}`
    expect(row!.sentAt).toBeInstanceOf(Date)
  })

  test('an event of a rolled-back transaction never leaves', async () => {
    const orderId = crypto.randomUUID()
    await db.sql
      .begin(async (tx) => {
        await publish(tx, 'order.paid', { orderId, userId: crypto.randomUUID() })
        throw new Error('rollback')
      })
      .catch(() => {})
    const [row] = await db.sql`select count(*)::int as n from outbox where payload->>'orderId' = ${orderId}`
    expect(row!.n).toBe(0)
  })

  test('a relay killed between the BullMQ add and marking sent produces one job, not two', async () => {
    const crashing = new OutboxRelay({
      sql: db.sql,
      queues,
      log: testLog,
      afterPublish: () => {
        throw new Error('killed after add')
      },
    })
    const { orderId } = await publishPaid()
    expect(await crashing.runOnce()).toBe(0)
    const [pending] = await db.sql`
      select event_id, sent_at, attempts from outbox where payload->>'orderId' = ${orderId}`
    expect(pending!.sentAt).toBeNull()
    expect(pending!.attempts).toBe(1)
    // The crashed pass had added the job already; the retry adds it again under the same id.
    await db.sql`update outbox set available_at = now() where event_id = ${pending!.eventId}`
    const relay = new OutboxRelay({ sql: db.sql, queues, log: testLog })
    expect(await relay.runOnce()).toBe(1)
    await waitFor(() => effects(orderId).then((n) => n === 1))
    await Bun.sleep(200)
    expect(await effects(orderId)).toBe(1)
    const job = await queues.get('catalog').getJob(pending!.eventId)
    expect(job?.id).toBe(pending!.eventId)
    const completed = await queues.get('catalog').getCompleted(0, 1000)
    expect(completed.filter((j) => j.data.id === pending!.eventId).length).toBe(1)
  })

  test('several relays at once publish every event exactly once', async () => {
    const ids = await Promise.all(Array.from({ length: 60 }, () => publishPaid().then((p) => p.orderId)))
    const relays = Array.from({ length: 3 }, () => new OutboxRelay({ sql: db.sql, queues, log: testLog, batchSize: 7 }))
    const sent = await Promise.all(relays.map(async (r) => {
      let total = 0
      for (let n = await r.runOnce(); n > 0; n = await r.runOnce()) total += n
      return total
    }))
    expect(sent.reduce((a, b) => a + b, 0)).toBe(60)
    await waitFor(async () => (await Promise.all(ids.map((id) => effects(id)))).every((n) => n === 1))
    expect((await Promise.all(ids.map((id) => effects(id)))).every((n) => n === 1)).toBe(true)
  })

  test('a started relay sends what it finds within its polling interval', async () => {
    const relay = new OutboxRelay({ sql: db.sql, queues, log: testLog, pollMs: 100 })
    await relay.start()
    try {
      const { orderId } = await publishPaid()
      expect(await waitFor(() => effects(orderId).then((n) => n === 1), 5000)).toBe(true)
      const [row] = await db.sql`select sent_at, claimed_until from outbox where payload->>'orderId' = ${orderId}`
      expect(row!.sentAt).toBeInstanceOf(Date)
      expect(row!.claimedUntil).toBeNull()
    } finally {
      await relay.stop()
    }
  })

  test('a dispatcher sends a committed transaction\'s events at once and marks them sent; relays leave them alone', async () => {
    const dispatcher = new OutboxDispatcher({ sql: db.sql, queues, log: testLog, markIntervalMs: 50 })
    const relay = new OutboxRelay({ sql: db.sql, queues, log: testLog })
    try {
      const payloads = [paid(), paid(), paid()]
      // Three transactions at once (events committed within one busy interval share a job).
      await Promise.all(payloads.map((p) => dispatcher.transaction(db.sql, (tx) => publish(tx, 'order.paid', p))))
      // Within the grace period a relay finds nothing to send.
      expect(await relay.runOnce()).toBe(0)
      for (const p of payloads) expect(await waitFor(() => effects(p.orderId).then((n) => n === 1), 5000)).toBe(true)
      const ids = payloads.map((p) => p.orderId)
      expect(
        await waitFor(async () => {
          const [row] = await db.sql`select count(*)::int as n from outbox where payload->>'orderId' = any(${ids}) and sent_at is not null`
          return row!.n === 3
        }, 5000),
      ).toBe(true)
      expect(dispatcher.sent).toBe(3)
    } finally {
      await dispatcher.stop()
    }
  })

  test('events for a relaxed queue wait for each other and travel as one job', async () => {
    const dispatcher = new OutboxDispatcher({ sql: db.sql, queues, log: testLog, relaxedQueues: ['catalog'], relaxedDelayMs: 300 })
    try {
      const payloads = [paid(), paid(), paid()]
      // One after the other, each committed before the next starts: still one job.
      for (const p of payloads) await dispatcher.transaction(db.sql, (tx) => publish(tx, 'order.paid', p))
      for (const p of payloads) expect(await waitFor(() => effects(p.orderId).then((n) => n === 1), 5000)).toBe(true)
      const ids = new Set<string>(payloads.map((p) => p.orderId))
      const jobs = (await queues.get('catalog').getCompleted(0, 10_000)).filter((j) =>
        (j.data.events ?? [j.data]).some((e: { payload: { orderId: string } }) => ids.has(e.payload.orderId)),
      )
      expect(jobs.length).toBe(1)
      expect(jobs[0]!.data.events.length).toBe(3)
    } finally {
      await dispatcher.stop()
    }
  })

  test('a dispatcher sends nothing for a transaction that rolled back', async () => {
    const dispatcher = new OutboxDispatcher({ sql: db.sql, queues, log: testLog })
    const payload = paid()
    await dispatcher
      .transaction(db.sql, async (tx) => {
        await publish(tx, 'order.paid', payload)
        throw new Error('rollback')
      })
      .catch(() => {})
    await dispatcher.stop()
    expect(dispatcher.sent).toBe(0)
    const [row] = await db.sql`select count(*)::int as n from outbox where payload->>'orderId' = ${payload.orderId}`
    expect(row!.n).toBe(0)
  })

  test('events a dispatcher never sent (its process died) go out through a relay once the grace is over', async () => {
    // Redis refuses the dispatcher's add: as if the process had died between the commit and the add.
    const deadProducer = producerConnection('redis://127.0.0.1:1')
    const deadQueues = new Queues(deadProducer, prefix)
    const dispatcher = new OutboxDispatcher({ sql: db.sql, queues: deadQueues, log: testLog, publishTimeoutMs: 500 })
    const payload = paid()
    await dispatcher.transaction(db.sql, (tx) => publish(tx, 'order.paid', payload))
    await dispatcher.stop()
    await deadQueues.close(1000)
    deadProducer.disconnect()
    expect(dispatcher.sent).toBe(0)
    const [pending] = await db.sql`select sent_at, available_at > now() as in_grace from outbox where payload->>'orderId' = ${payload.orderId}`
    expect(pending!.sentAt).toBeNull()
    expect(pending!.inGrace).toBe(true)
    const relay = new OutboxRelay({ sql: db.sql, queues, log: testLog })
    expect(await relay.runOnce()).toBe(0)
    // The grace is over (moved here instead of waiting it out): the relay sends it.
    await db.sql`update outbox set available_at = now() where payload->>'orderId' = ${payload.orderId}`
    expect(await relay.runOnce()).toBe(1)
    expect(await waitFor(() => effects(payload.orderId).then((n) => n === 1), 5000)).toBe(true)
  })

  test('Redis down while events are written loses nothing: the outbox drains when it is back', async () => {
    const redis = new PrivateRedis()
    await redis.start()
    const privatePrefix = uniqueName('down')
    const privateProducer = producerConnection(redis.url)
    const privateQueues = new Queues(privateProducer, privatePrefix)
    const relay = new OutboxRelay({ sql: db.sql, queues: privateQueues, log: testLog, pollMs: 100, publishTimeoutMs: 1000 })
    const privateConsumer = makeConsumer(redis.url, privatePrefix)
    try {
      await redis.stop()
      await relay.start()
      const ids = await Promise.all(Array.from({ length: 20 }, () => publishPaid().then((p) => p.orderId)))
      // Each pass waits up to publishTimeoutMs (1 s) for the add before backing off.
      await Bun.sleep(1500)
      const [pending] = await db.sql`
        select count(*)::int as n, max(attempts)::int as attempts from outbox
        where sent_at is null and payload->>'orderId' = any(${ids})`
      expect(pending!.n).toBe(20)
      expect(pending!.attempts).toBeGreaterThanOrEqual(1)
      await redis.start()
      privateConsumer.start()
      // Backoff after failures is at most a minute; rows become available sooner at first.
      const drained = await waitFor(async () => (await Promise.all(ids.map((id) => effects(id)))).every((n) => n === 1), 30_000, 100)
      expect(drained).toBe(true)
    } finally {
      await relay.stop()
      await privateConsumer.close(3000)
      await privateQueues.close(2000)
      privateProducer.disconnect()
      await redis.stop()
    }
  }, 60_000)
})

describe('consumer with inbox', () => {
  const envelope = (payload: ReturnType<typeof paid>): EventEnvelope<'order.paid'> => ({
    id: Bun.randomUUIDv7(),
    name: 'order.paid',
    payload,
    occurredAt: new Date().toISOString(),
  })

  test('the same message delivered 5 times (other job ids, same message id) is handled once', async () => {
    const event = envelope(paid())
    const queue = queues.get('catalog')
    for (let i = 0; i < 5; i++) await queue.add('order.paid', event, { jobId: `redelivery-${event.id}-${i}` })
    await waitFor(async () => (await queue.getCompleted(0, 5000)).filter((j) => j.data.id === event.id).length === 5)
    expect(await effects(event.payload.orderId)).toBe(1)
    const outcomes = (await queue.getCompleted(0, 5000)).filter((j) => j.data.id === event.id).map((j) => j.returnvalue)
    expect(outcomes.sort()).toEqual(['duplicate', 'duplicate', 'duplicate', 'duplicate', 'processed'])
  })

  test('a failing handler is retried with backoff and its effect lands once', async () => {
    failuresLeft = 2
    const event = envelope(paid())
    await queues.get('catalog').add('order.paid', event, { jobId: event.id })
    expect(await waitFor(() => effects(event.payload.orderId).then((n) => n === 1), 15_000)).toBe(true)
    const job = await queues.get('catalog').getJob(event.id)
    expect(job!.attemptsMade).toBeGreaterThanOrEqual(2)
  })

  test('a bad payload fails at once, is not retried and lands in dead_letters', async () => {
    const id = Bun.randomUUIDv7()
    const queue = queues.get('catalog')
    await queue.add('order.paid', { id, name: 'order.paid', payload: { orderId: 'not-a-uuid' }, occurredAt: '' }, { jobId: id })
    const row = await waitFor(async () => (await db.sql`select * from dead_letters where message_id = ${id}`)[0])
    expect(row!.error).toContain('Invalid order.paid payload')
    expect(row!.attempts).toBe(1)
    const job = await queue.getJob(id)
    expect(await job!.getState()).toBe('failed')
  })

  test('an event this consumer does not handle is dead-lettered, not retried', async () => {
    const id = Bun.randomUUIDv7()
    await queues.get('catalog').add('payment.requested', { id, name: 'payment.requested', payload: {} }, { jobId: id })
    const row = await waitFor(async () => (await db.sql`select * from dead_letters where message_id = ${id}`)[0])
    expect(row!.error).toContain('No handler')
  })
})

describe('batches', () => {
  const envelope = (payload = paid()): EventEnvelope<'order.paid'> => ({
    id: Bun.randomUUIDv7(),
    name: 'order.paid',
    payload,
    occurredAt: new Date().toISOString(),
  })

  test('the pending events of a pass travel as one batch job, each handled once; publishing the same rows again is a no-op', async () => {
    const relay = new OutboxRelay({ sql: db.sql, queues, log: testLog })
    // Drain whatever earlier tests left pending, so this pass holds exactly these ten.
    while ((await relay.runOnce()) > 0);
    const orders = await Promise.all(Array.from({ length: 10 }, () => publishPaid().then((p) => p.orderId)))
    expect(await relay.runOnce()).toBe(10)
    const rows = await db.sql<{ eventId: string }[]>`select event_id from outbox where payload->>'orderId' = any(${orders}) order by id`
    const jobId = batchJobId(rows.map((r) => r.eventId))
    const queue = queues.get('catalog')
    expect(await waitFor(async () => (await queue.getJob(jobId))?.returnvalue === 'processed')).toBe(true)
    const job = await queue.getJob(jobId)
    expect(job!.name).toBe(BATCH_JOB)
    expect(job!.data.events.map((e: EventEnvelope) => e.id)).toEqual(rows.map((r) => r.eventId))
    expect(await Promise.all(orders.map((id) => effects(id)))).toEqual(orders.map(() => 1))
    // A relay that died before marking them sent: the same rows again make the same job id.
    await db.sql`update outbox set sent_at = null where payload->>'orderId' = any(${orders})`
    expect(await relay.runOnce()).toBe(10)
    await Bun.sleep(300)
    expect((await queue.getCompleted(0, 10_000)).filter((j) => j.id === jobId).length).toBe(1)
    expect(await Promise.all(orders.map((id) => effects(id)))).toEqual(orders.map(() => 1))
  })

  test('a batch whose events were all handled before changes nothing', async () => {
    const events = [envelope(), envelope()]
    const queue = queues.get('catalog')
    await queue.add(BATCH_JOB, { events }, { jobId: `first-${events[0]!.id}` })
    await waitFor(() => effects(events[1]!.payload.orderId).then((n) => n === 1))
    await queue.add(BATCH_JOB, { events: [events[1], events[0], events[0]] }, { jobId: `again-${events[0]!.id}` })
    expect(await waitFor(async () => (await queue.getJob(`again-${events[0]!.id}`))?.returnvalue === 'duplicate')).toBe(true)
    expect(await effects(events[0]!.payload.orderId)).toBe(1)
    expect(await effects(events[1]!.payload.orderId)).toBe(1)
  })

  test('one failing event does not hold back the rest of its batch, and lands once when it recovers', async () => {
    const events = [envelope(), envelope(), envelope()]
    poisoned.add(events[1]!.payload.orderId)
    const queue = queues.get('catalog')
    const jobId = `poison-${events[0]!.id}`
    try {
      await queue.add(BATCH_JOB, { events }, { jobId })
      expect(await waitFor(async () => (await effects(events[0]!.payload.orderId)) === 1 && (await effects(events[2]!.payload.orderId)) === 1)).toBe(true)
      expect(await effects(events[1]!.payload.orderId)).toBe(0)
      expect(await waitFor(async () => ((await queue.getJob(jobId))?.attemptsMade ?? 0) >= 1)).toBe(true)
    } finally {
      poisoned.clear()
    }
    expect(await waitFor(async () => (await queue.getJob(jobId))?.finishedOn !== undefined, 15_000)).toBe(true)
    expect(await Promise.all(events.map((e) => effects(e.payload.orderId)))).toEqual([1, 1, 1])
  })

  test('a malformed event in a batch is dead-lettered on its own; the others are handled', async () => {
    const good = envelope()
    const badId = Bun.randomUUIDv7()
    const bad = { id: badId, name: 'order.paid', payload: { orderId: 'nope' }, occurredAt: '' }
    await queues.get('catalog').add(BATCH_JOB, { events: [bad, good] }, { jobId: `mixed-${good.id}` })
    expect(await waitFor(() => effects(good.payload.orderId).then((n) => n === 1))).toBe(true)
    const row = await waitFor(async () => (await db.sql`select * from dead_letters where message_id = ${badId}`)[0])
    expect(row!.error).toContain('Invalid order.paid payload')
  })

  test('with a batch key, events of one key run in turn and read each other\'s writes; other keys run alongside', async () => {
    const lanes = new Consumer({
      queue: 'orders',
      sql: db.sql,
      redisUrl: TEST_REDIS_URL,
      prefix: `${prefix}-lanes`,
      log: testLog,
      batchKey: (event) => (event.payload as { orderId: string }).orderId,
      handlers: {
        // Read, then write: without the key's ordering two events of one order would both read 0.
        'payment.succeeded': async (tx, event) => {
          const [row] = await tx`select count(*)::int as n from effects where order_id = ${event.payload.orderId}`
          await Bun.sleep(5)
          await tx`insert into effects (order_id, name) values (${event.payload.orderId}, ${'seen ' + row!.n})`
        },
        'payment.declined': async () => {},
        'payment.refunded': async () => {},
        'payment.voided': async () => {},
        'top-up.changed': async () => {},
      },
    })
    const laneQueues = new Queues(producer, `${prefix}-lanes`)
    try {
      lanes.start()
      const [a, b] = [crypto.randomUUID(), crypto.randomUUID()]
      const event = (orderId: string) => ({
        id: Bun.randomUUIDv7(),
        name: 'payment.succeeded',
        payload: { orderId, userId: crypto.randomUUID(), amount: 1, currency: 'EUR', paymentId: crypto.randomUUID(), ledgerEntryId: crypto.randomUUID() },
        occurredAt: new Date().toISOString(),
      })
      await laneQueues.get('orders').add(BATCH_JOB, { events: [event(a), event(b), event(a), event(b), event(a)] }, { jobId: `lanes-${a}` })
      expect(await waitFor(() => effects(a).then((n) => n === 3))).toBe(true)
      expect(await waitFor(() => effects(b).then((n) => n === 2))).toBe(true)
      const seen = await db.sql`select order_id, name from effects where order_id in (${a}, ${b}) order by name`
      expect(seen.filter((r) => r.orderId === a).map((r) => r.name)).toEqual(['seen 0', 'seen 1', 'seen 2'])
      expect(seen.filter((r) => r.orderId === b).map((r) => r.name)).toEqual(['seen 0', 'seen 1'])
    } finally {
      await lanes.close(3000)
      await laneQueues.close(2000)
      await deleteRedisPrefix(`${prefix}-lanes`)
    }
  })

  test('an empty batch fails at once', async () => {
    const queue = queues.get('catalog')
    const jobId = `empty-${Bun.randomUUIDv7()}`
    await queue.add(BATCH_JOB, { events: [] }, { jobId })
    expect(await waitFor(async () => (await queue.getJob(jobId))?.failedReason)).toContain('Malformed batch')
    expect((await queue.getJob(jobId))!.attemptsMade).toBe(1)
  })
})

describe('retention', () => {
  test('old inbox rows are pruned, recent ones kept', async () => {
    const oldId = Bun.randomUUIDv7()
    const newId = Bun.randomUUIDv7()
    await db.sql`insert into inbox (message_id, queue, name, received_at) values
      (${oldId}, 'catalog', 'order.paid', now() - interval '31 days'),
      (${newId}, 'catalog', 'order.paid', now())`
    expect(await consumer.pruneInbox(30)).toBe(1)
    const rows = await db.sql`select message_id from inbox where message_id in (${oldId}, ${newId})`
    expect(rows.map((r) => r.messageId)).toEqual([newId])
  })

  test('sent outbox rows older than the window are pruned; pending ones never', async () => {
    const relay = new OutboxRelay({ sql: db.sql, queues, log: testLog, retentionMs: 1000 })
    await db.sql`insert into outbox (event_id, queue, name, payload, sent_at) values
      (${Bun.randomUUIDv7()}, 'catalog', 'order.paid', '{}', now() - interval '1 hour'),
      (${Bun.randomUUIDv7()}, 'catalog', 'order.paid', '{}', null)`
    const pendingBefore = await db.sql`select count(*)::int as n from outbox where sent_at is null`
    expect(await relay.prune()).toBeGreaterThanOrEqual(1)
    const pendingAfter = await db.sql`select count(*)::int as n from outbox where sent_at is null`
    expect(pendingAfter[0]!.n).toBe(pendingBefore[0]!.n)
    // The pending row stays for the relay; mark it sent so it does not reach a consumer.
    await db.sql`update outbox set sent_at = now() where sent_at is null and payload = '{}'`
  })
})
