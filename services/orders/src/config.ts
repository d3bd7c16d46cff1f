import { commonSpec, firstOf, int, loadConfig, num, port, secret, str, url, urlList } from '@shop/shared/runtime/config'

export const SCHEMA = 'orders'

/** Everything orders and its worker read from the environment, checked once at start. */
export function readConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(
    {
      ...commonSpec,
      DATABASE_URL: firstOf(['ORDERS_DATABASE_URL', 'DATABASE_URL'], commonSpec.DATABASE_URL),
      ORDERS_PORT: port(8082),
      HOST: str('0.0.0.0'),
      USERS_URL: urlList('http://127.0.0.1:8081', ['http:', 'https:']),
      /** Where the catalog's internal reservation routes are. */
      CATALOG_URL: urlList('http://127.0.0.1:8084', ['http:', 'https:']),
      INTERNAL_TOKEN: secret(16),
      /** An order still NEW after this long is cancelled (reason timeout) and its stock released. */
      ORDER_TIMEOUT_SECONDS: int(60, { min: 1, max: 86_400 }),
      /** How often the reconciler runs (fractions allowed: the tests run it every 0.25 s). */
      RECONCILE_INTERVAL_SECONDS: num(5, { min: 0.1, max: 3600 }),
      /**
       * An answer from payments still missing this long after the request (an order's payment, a
       * void, a refund) is asked for again, then after twice as long, up to PAYMENT_REASK_MAX_SECONDS.
       */
      PAYMENT_REASK_SECONDS: int(5, { min: 1, max: 3600 }),
      PAYMENT_REASK_MAX_SECONDS: int(60, { min: 1, max: 86_400 }),
      /** A comment line on every open SSE stream this often, so proxies keep it open. */
      SSE_HEARTBEAT_SECONDS: int(15, { min: 1, max: 300 }),
      ORDERS_WORKER_CONCURRENCY: int(16, { min: 1, max: 256 }),
      /** A delivered order may be returned this many days after its delivery. */
      RETURN_WINDOW_DAYS: int(30, { min: 0, max: 3650 }),
    },
    env,
  )
}

export type OrdersConfig = ReturnType<typeof readConfig>
