/**
 * The whole backend in one process for end-to-end tests and the latency benchmark: every service
 * of services.ts started from its manifest (API on a free port, worker), each on a schema of
 * its own, one queue prefix; services reach each other over HTTP as in production (JWKS, catalog
 * reservations). Nothing here is a mock.
 */
import type { AnyManifest, Env } from '@shop/shared/runtime/service'
import { startInProcess, type InProcessOf } from '@shop/shared/runtime/service-harness'
import { urlEnv } from '@shop/shared/runtime/service'
import { TEST_DATABASE_URL, TEST_REDIS_URL, deleteRedisPrefix, testLog, uniqueName } from '@shop/shared/testing'
import { SERVICES, type ServiceName } from '../services.ts'
import { stockLedgerMismatches } from '../services/catalog/src/modules/inventory/repository.ts'
import { TEST_AUDIENCE, TEST_ISSUER } from '../services/users/src/testing.ts'

const INTERNAL_TOKEN = 'system-test-internal-token-0123456789'
const ADMIN = { email: 'admin@system.test', password: 'admin password 123' }

export interface SystemOptions {
  /** Also start the gateway in front of the services (writes per minute per client). */
  gateway?: { writesPerMinute?: number; origins?: string[]; timeoutMs?: number; webDir?: string; trustedProxies?: string[] }
  orderTimeoutSeconds?: number
  reconcileIntervalMs?: number
  /** Payments is asked again for an overdue answer after this long (doubling; default 5 s). */
  reaskSeconds?: number
  heartbeatMs?: number
  log?: typeof testLog
  /** More of payments' environment (PAYMENT_PROVIDER and the Stripe keys). */
  payments?: Env
}

type Started = { [K in ServiceName]: InProcessOf<(typeof SERVICES)[K]> }

export async function startSystem(options: SystemOptions = {}) {
  const log = options.log ?? testLog
  const prefix = uniqueName('sys')
  const env: Env = {
    DATABASE_URL: TEST_DATABASE_URL,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    INTERNAL_TOKEN,
    JWT_ISSUER: TEST_ISSUER,
    JWT_AUDIENCE: TEST_AUDIENCE,
  }
  // What each service reads differently from production (the same variable can mean two things:
  // TRUSTED_PROXIES is the gateway for users, the load balancers for the gateway).
  const perService: Partial<Record<ServiceName, Env>> = {
    users: {
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      LOGIN_LIMIT_PER_EMAIL: '1000',
      LOGIN_LIMIT_PER_IP: '100000',
      LOGIN_LIMIT_WINDOW_SECONDS: '60',
      TRUSTED_PROXIES: '127.0.0.1,::1', // the tests play the gateway, from loopback
    },
    payments: { MAX_DEPOSIT: '10000000', SUPPORTED_CURRENCIES: 'EUR,USD', ...options.payments },
    catalog: { DEMO_DATA: '0' },
    orders: {
      ORDER_TIMEOUT_SECONDS: String(options.orderTimeoutSeconds ?? 60),
      RECONCILE_INTERVAL_SECONDS: String((options.reconcileIntervalMs ?? 5000) / 1000),
      SSE_HEARTBEAT_SECONDS: String((options.heartbeatMs ?? 15_000) / 1000),
      ...(options.reaskSeconds === undefined
        ? {}
        : { PAYMENT_REASK_SECONDS: String(options.reaskSeconds), PAYMENT_REASK_MAX_SECONDS: String(options.reaskSeconds * 4) }),
    },
    // A rating change is sent to the catalog again a second after it (the tests lose events on purpose).
    reviews: { RATING_RESEND_SECONDS: '1' },
    gateway: {
      CORS_ORIGINS: (options.gateway?.origins ?? ['http://allowed.example']).join(','),
      MAX_BODY_BYTES: '65536',
      UPSTREAM_TIMEOUT_MS: String(options.gateway?.timeoutMs ?? 10_000),
      WRITE_LIMIT_PER_MINUTE: String(options.gateway?.writesPerMinute ?? 10_000),
      ANONYMOUS_WRITE_LIMIT_PER_MINUTE: String(options.gateway?.writesPerMinute ?? 10_000),
      TRUSTED_PROXIES: (options.gateway?.trustedProxies ?? []).join(','),
      WEB_DIR: options.gateway?.webDir ?? '/nonexistent-web-build',
    },
  }

  const started: Partial<Started> = {}
  const order = Object.keys(SERVICES) as ServiceName[]
  try {
    for (const name of order) {
      if (name === 'gateway' && !options.gateway) continue // the gateway only when asked for
      const manifest: AnyManifest = SERVICES[name]
      const running = await startInProcess(manifest, { ...env, ...perService[name] }, { log })
      ;(started as Record<string, unknown>)[name] = running
      env[urlEnv(manifest)] = running.url // where the next ones find it
    }
  } catch (error) {
    for (const name of [...order].reverse()) await started[name]?.stop().catch(() => {})
    throw error
  }
  const { users, catalog, payments, orders, reviews } = started as Started
  const [usersUrl, catalogUrl, paymentsUrl, ordersUrl] = [users.url, catalog.url, payments.url, orders.url]
  const gatewayUrl = started.gateway?.url ?? ''

  const adminToken = await (async () => {
    const res = await fetch(`${usersUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    })
    return ((await res.json()) as { accessToken: string }).accessToken
  })()
  const catalogDb = catalog.db!
  const paymentsDb = payments.db!

  let customers = 0
  const system = {
    prefix,
    urls: { users: usersUrl, catalog: catalogUrl, payments: paymentsUrl, orders: ordersUrl, reviews: reviews.url, gateway: gatewayUrl },
    /** Stops one service's HTTP server (its workers keep running). */
    async stopServer(name: 'users' | 'catalog' | 'payments' | 'orders' | 'reviews') {
      await started[name]!.stopServer()
    },
    db: { users: users.db!, catalog: catalogDb, payments: paymentsDb, orders: orders.db!, reviews: reviews.db! },
    adminToken,
    hub: orders.api.hub,
    ordersWorker: orders.worker!,
    paymentsWorker: payments.worker!,
    catalogConsumer: catalog.worker!.consumer,
    reviewsWorker: reviews.worker!,

    /** An access token for `userId` that expires in `seconds` (signed by the users service's key). */
    shortLivedToken: (userId: string, seconds: number, name?: string) =>
      users.prepared.keys.signAccessToken({ userId, role: 'customer', sessionId: Bun.randomUUIDv7(), name }, seconds),

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
    async customer(balance?: number, name = 'Customer') {
      const email = `customer${++customers}-${Math.random().toString(36).slice(2, 8)}@system.test`
      const password = 'correct horse battery'
      const registered = await system.request(usersUrl, 'POST', '/api/auth/register', { body: { email, password, name } })
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

    /** Products whose stock is not the sum of their stock movements (should be none, at any moment). */
    stockLedgerMismatches: () => stockLedgerMismatches(catalogDb.sql),

    /** Wallets whose ledger does not sum to the balance (should be none). */
    async unbalancedWallets() {
      return [
        ...(await paymentsDb.sql`
          select w.id from wallets w left join ledger_entries l on l.wallet_id = w.id
          group by w.id having w.balance <> coalesce(sum(l.amount), 0)`),
      ]
    },

    async stop() {
      // Workers first (no new effects while the rest closes), then each service, last started first.
      for (const name of [...order].reverse()) await started[name]?.stopWorker()
      for (const name of [...order].reverse()) await started[name]?.stop()
      await deleteRedisPrefix(prefix)
    },
  }
  return system
}

export type System = Awaited<ReturnType<typeof startSystem>>
