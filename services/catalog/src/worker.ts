/**
 * The catalog worker process: consumes `order.paid` (commit the reservation) and
 * `order.cancelled` (release it) through the shared inbox. Catalog emits no events.
 */
import { Consumer, type ConsumerOptions } from '@shop/shared/consumer'
import { connectSql, type Sql } from '@shop/shared/db'
import { every, onShutdown, runMain } from '@shop/shared/lifecycle'
import { createLogger, type Logger } from '@shop/shared/logger'
import { migrateCatalog } from './bootstrap.ts'
import { SCHEMA, readConfig } from './config.ts'
import { orderCancelled } from './jobs/order-cancelled.ts'
import { orderPaid } from './jobs/order-paid.ts'

export interface CatalogWorkerDeps {
  sql: Sql
  redisUrl: string
  prefix: string
  log: Logger
  concurrency?: number
  afterCommit?: ConsumerOptions<'catalog'>['afterCommit']
}

export function createCatalogConsumer(deps: CatalogWorkerDeps) {
  return new Consumer({
    queue: 'catalog',
    sql: deps.sql,
    redisUrl: deps.redisUrl,
    prefix: deps.prefix,
    log: deps.log,
    concurrency: deps.concurrency ?? 8,
    afterCommit: deps.afterCommit,
    handlers: {
      'order.paid': orderPaid({ log: deps.log }),
      'order.cancelled': orderCancelled({ log: deps.log }),
    },
  })
}

if (import.meta.main) {
  await runMain('catalog-worker', async () => {
    const config = readConfig()
    const log = createLogger('catalog-worker', config.LOG_LEVEL)
    const sql = await connectSql({ url: config.DATABASE_URL, schema: SCHEMA, applicationName: 'catalog-worker' })
    await migrateCatalog(sql, SCHEMA, log)
    const consumer = createCatalogConsumer({ sql, redisUrl: config.REDIS_URL, prefix: config.QUEUE_PREFIX, log })
    consumer.start()
    onShutdown(
      log,
      [
        every(log, 'inbox pruned', 3600_000, () => consumer.pruneInbox()),
        { name: 'worker', run: () => consumer.close(10_000) },
        { name: 'postgres', run: () => sql.end({ timeout: 5 }) },
      ],
      15_000,
    )
    log.info('worker running', { queue: 'catalog' })
  })
}
