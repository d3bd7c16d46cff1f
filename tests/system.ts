/**
 * The whole backend in one process for end-to-end tests and the latency benchmark: users,
 * catalog, payments and orders apps listening on free ports (services reach each other over
 * HTTP as in production: JWKS, catalog reservations), their workers, one queue prefix, a schema
 * per service. Nothing here is a mock.
 */
import { createTokenVerifier, remoteKeySet } from '@shop/shared/http/auth'
import { trustedProxies } from '@shop/shared/http/client-address'
import { IdempotencyStore } from '@shop/shared/http/idempotency'
import { createRedis } from '@shop/shared/data/redis'
import { TEST_REDIS_URL, deleteRedisPrefix, testLog, testSchema, uniqueName, type TestSchema } from '@shop/shared/testing'
import { createApp as createCatalogApp } from '../services/catalog/src/app.ts'
import { migrateCatalog } from '../services/catalog/src/bootstrap.ts'
import { createCatalogConsumer } from '../services/catalog/src/worker.ts'
import { createApp as createOrdersApp } from '../services/orders/src/app.ts'
import { migrateOrders } from '../services/orders/src/bootstrap.ts'
import { createCatalogClient } from '../services/orders/src/catalog-client.ts'
import { OrderEventHub } from '../services/orders/src/modules/events/hub.ts'
import { createOrdersWorker } from '../services/orders/src/worker.ts'
import { createApp as createPaymentsApp } from '../services/payments/src/app.ts'
import { migratePayments } from '../services/payments/src/bootstrap.ts'
import { createPaymentsWorker } from '../services/payments/src/worker.ts'
import { createTestUsers, TEST_AUDIENCE, TEST_ISSUER } from '../services/users/src/testing.ts'
import { createApp as createGatewayApp } from '../services/gateway/src/app.ts'
import { Queues, producerConnection, workerConnection } from '@shop/shared/messaging/queue'
import { OutboxDispatcher } from '@shop/shared/messaging/outbox-dispatcher'

const INTERNAL_TOKEN = 'system-test-internal-token-0123456789'
type Server = { stop(closeActive?: boolean): Promise<void> | void; port: number | undefined }

export interface SystemOptions {
  /** Also start the gateway in front of the services (writes per minute per client). */
  gateway?: { writesPerMinute?: number; origins?: string[]; timeoutMs?: number; webDir?: string; trustedProxies?: string[] }
  orderTimeoutSeconds?: number
  reconcileIntervalMs?: number
  /** Payments is asked again for an overdue answer after this long (doubling; default 5 s). */
  reaskSeconds?: number
  heartbeatMs?: number
  log?: typeof testLog
}

export async function startSystem(options: SystemOptions = {}) {
  const log = options.log ?? testLog
  const prefix = uniqueName('sys')
  const redis = createRedis(TEST_REDIS_URL)
  const schemas: TestSchema[] = []
  const servers: Server[] = []
  const listen = (app: { listen(o: object): { server: Server | null } }) => {
    // Bun's own body limit lifted, as listenAlone does in production: the apps answer 413 problems themselves.
    const server = app.listen({ port: 0, hostname: '127.0.0.1', idleTimeout: 60, maxRequestBodySize: Number.MAX_SAFE_INTEGER }).server!
    servers.push(server)
    return `http://127.0.0.1:${server.port}`
  }

  const users = await createTestUsers({ loginLimits: { perEmail: 1000, perIp: 100_000, windowMs: 60_000 } })
  const usersUrl = listen(users.app)
  const verifier = () => createTokenVerifier({ keys: remoteKeySet(`${usersUrl}/.well-known/jwks.json`), issuer: TEST_ISSUER, audience: TEST_AUDIENCE })

  const catalogDb = testSchema('syscat')
  const paymentsDb = testSchema('syspay')
  const ordersDb = testSchema('sysord')
  schemas.push(catalogDb, paymentsDb, ordersDb)
  await Promise.all([
    migrateCatalog(catalogDb.sql, catalogDb.schema, log),
    migratePayments(paymentsDb.sql, paymentsDb.schema, log),
    migrateOrders(ordersDb.sql, ordersDb.schema, log),
  ])

  const catalogApp = createCatalogApp({ sql: catalogDb.sql, redis, log, verifier: verifier(), internalToken: INTERNAL_TOKEN })
  const catalogUrl = listen(catalogApp)
  const catalogConsumer = createCatalogConsumer({ sql: catalogDb.sql, redisUrl: TEST_REDIS_URL, prefix, log })

  const paymentsApp = createPaymentsApp({
    sql: paymentsDb.sql,
    redis,
    log,
    verifier: verifier(),
    idempotency: new IdempotencyStore(paymentsDb.sql),
    maxDeposit: 10_000_000,
    currencies: ['EUR', 'USD'],
  })
  const paymentsUrl = listen(paymentsApp)
  const paymentsWorker = createPaymentsWorker({ sql: paymentsDb.sql, schema: paymentsDb.schema, redisUrl: TEST_REDIS_URL, prefix, log, concurrency: 16 })

  const catalogClient = createCatalogClient({ baseUrl: catalogUrl, internalToken: INTERNAL_TOKEN })
  const hub = new OrderEventHub(ordersDb.sql, ordersDb.schema, log)
  await hub.start()
  const ordersProducer = producerConnection(TEST_REDIS_URL)
  const ordersQueues = new Queues(ordersProducer, prefix)
  const ordersDispatcher = new OutboxDispatcher({ sql: ordersDb.sql, queues: ordersQueues, log })
  const ordersApp = createOrdersApp({
    sql: ordersDb.sql,
    schema: ordersDb.schema,
    redis,
    log,
    verifier: verifier(),
    idempotency: new IdempotencyStore(ordersDb.sql),
    catalog: catalogClient,
    hub,
    heartbeatMs: options.heartbeatMs ?? 15_000,
    dispatcher: ordersDispatcher,
  })
  const ordersUrl = listen(ordersApp)
  const ordersWorker = createOrdersWorker({
    sql: ordersDb.sql,
    schema: ordersDb.schema,
    redisUrl: TEST_REDIS_URL,
    prefix,
    log,
    catalog: catalogClient,
    timeoutSeconds: options.orderTimeoutSeconds ?? 60,
    reconcileIntervalMs: options.reconcileIntervalMs ?? 5000,
    reaskSeconds: options.reaskSeconds,
    reaskMaxSeconds: options.reaskSeconds === undefined ? undefined : options.reaskSeconds * 4,
  })

  catalogConsumer.start()
  await paymentsWorker.start()
  await ordersWorker.start()

  let gatewayUrl = ''
  const gatewayQueueConnection = workerConnection(TEST_REDIS_URL)
  if (options.gateway) {
    const gateway = createGatewayApp({
      redis,
      queueConnection: gatewayQueueConnection,
      log,
      verifier: verifier(),
      upstreams: { users: usersUrl, orders: ordersUrl, payments: paymentsUrl, catalog: catalogUrl },
      prefix,
      origins: options.gateway.origins ?? ['http://allowed.example'],
      maxBodyBytes: 65_536,
      timeoutMs: options.gateway.timeoutMs ?? 10_000,
      userWritesPerMinute: options.gateway.writesPerMinute ?? 10_000,
      anonymousWritesPerMinute: options.gateway.writesPerMinute ?? 10_000,
      trustedProxies: trustedProxies(options.gateway.trustedProxies ?? []),
      webDir: options.gateway.webDir ?? '/nonexistent-web-build',
    })
    gatewayUrl = listen(gateway)
  }

  const adminToken = await (async () => {
    const { createUsersService } = await import('../services/users/src/modules/users/service.ts')
    await createUsersService({ sql: users.db.sql, passwords: users.deps.passwords, log }).ensureAdmin('admin@system.test', 'admin password 123')
    const res = await fetch(`${usersUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@system.test', password: 'admin password 123' }),
    })
    return ((await res.json()) as { accessToken: string }).accessToken
  })()

  let customers = 0
  const system = {
    prefix,
    urls: { users: usersUrl, catalog: catalogUrl, payments: paymentsUrl, orders: ordersUrl, gateway: gatewayUrl },
    /** Stops one service's HTTP server (its workers keep running). */
    async stopServer(name: 'users' | 'catalog' | 'payments' | 'orders') {
      const url = { users: usersUrl, catalog: catalogUrl, payments: paymentsUrl, orders: ordersUrl }[name]
      const server = servers.find((s) => url.endsWith(`:${s.port}`))
      await server?.stop(true)
    },
    db: { users: users.db, catalog: catalogDb, payments: paymentsDb, orders: ordersDb },
    adminToken,
    hub,
    ordersWorker,
    paymentsWorker,
    catalogConsumer,

    /** An access token for `userId` that expires in `seconds` (signed by the users service's key). */
    shortLivedToken: (userId: string, seconds: number) =>
      users.deps.keys.signAccessToken({ userId, role: 'customer', sessionId: Bun.randomUUIDv7() }, seconds),

    /** JSON over HTTP; `key` sets the Idempotency-Key. */
    async request(base: string, method: string, path: string, options: { token?: string; body?: unknown; key?: string; headers?: Record<string, string> } = {}) {
      const headers: Record<string, string> = { ...options.headers }
      if (options.body !== undefined) headers['content-type'] = 'application/json'
      if (options.token) headers.authorization = `Bearer ${options.token}`
      if (options.key) headers['idempotency-key'] = options.key
      const res = await fetch(`${base}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) })
      const text = await res.text()
      return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as any) : undefined }
    },

    /** Registers and signs in a customer; with `balance`, opens an EUR wallet and deposits it. */
    async customer(balance?: number) {
      const email = `customer${++customers}-${Math.random().toString(36).slice(2, 8)}@system.test`
      const password = 'correct horse battery'
      const registered = await system.request(usersUrl, 'POST', '/api/auth/register', { body: { email, password, name: 'Customer' } })
      const login = await system.request(usersUrl, 'POST', '/api/auth/login', { body: { email, password } })
      const token = login.body.accessToken as string
      if (balance !== undefined) {
        await system.request(paymentsUrl, 'POST', '/api/wallet', { token, body: { currency: 'EUR' } })
        if (balance > 0) await system.request(paymentsUrl, 'POST', '/api/wallet/deposits', { token, body: { amount: balance }, key: `seed-${email}` })
      }
      return { id: registered.body.id as string, token }
    },

    async product(fields: { price: number; stock: number; name?: string }) {
      const res = await system.request(catalogUrl, 'POST', '/api/products', {
        token: adminToken,
        body: { name: fields.name ?? `Product ${Math.random().toString(36).slice(2, 8)}`, category: 'Test', currency: 'EUR', ...fields },
      })
      if (res.status !== 201) throw new Error(`product: ${res.status} ${JSON.stringify(res.body)}`)
      return res.body as { id: string }
    },

    order: (token: string, items: { productId: string; quantity: number }[], key: string = crypto.randomUUID()) =>
      system.request(ordersUrl, 'POST', '/api/orders', { token, body: { items }, key }),

    async orderStatus(token: string, orderId: string) {
      return (await system.request(ordersUrl, 'GET', `/api/orders/${orderId}`, { token })).body
    },

    /** Waits until the order reaches `status` (and, if given, refundStatus). */
    async waitForOrder(token: string, orderId: string, status: string, refundStatus?: string, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs
      let order = await system.orderStatus(token, orderId)
      while ((order.status !== status || (refundStatus !== undefined && order.refundStatus !== refundStatus)) && Date.now() < deadline) {
        await Bun.sleep(25)
        order = await system.orderStatus(token, orderId)
      }
      return order
    },

    /** Waits until the order has left NEW. */
    async waitForFinal(token: string, orderId: string, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs
      let order = await system.orderStatus(token, orderId)
      while (order.status === 'NEW' && Date.now() < deadline) {
        await Bun.sleep(50)
        order = await system.orderStatus(token, orderId)
      }
      return order
    },

    async balance(token: string): Promise<number> {
      return (await system.request(paymentsUrl, 'GET', '/api/wallet', { token })).body.balance
    },

    async stock(productId: string) {
      const [row] = await catalogDb.sql<{ stock: number; reserved: number }[]>`select stock, reserved from products where id = ${productId}`
      return row!
    },

    /** Wallets whose ledger does not sum to the balance (should be none). */
    async unbalancedWallets() {
      return [
        ...(await paymentsDb.sql`
          select w.id from wallets w left join ledger_entries l on l.wallet_id = w.id
          group by w.id having w.balance <> coalesce(sum(l.amount), 0)`),
      ]
    },

    async stop() {
      await ordersWorker.stop()
      await paymentsWorker.stop()
      await catalogConsumer.close(5000)
      await hub.stop()
      for (const server of servers) await server.stop(true)
      await ordersDispatcher.stop()
      await ordersQueues.close(3000)
      ordersProducer.disconnect()
      redis.disconnect()
      gatewayQueueConnection.disconnect()
      await deleteRedisPrefix(prefix)
      for (const schema of schemas) await schema.drop()
      await users.close()
    },
  }
  return system
}

export type System = Awaited<ReturnType<typeof startSystem>>
