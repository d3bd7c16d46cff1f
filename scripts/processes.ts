/**
 * Every process of the system, as `bun run start` runs it. Each later service adds its entries
 * here (and its worker process). `readyUrl` is polled before the system is announced as up.
 */
export interface ProcessSpec {
  name: string
  /** Path of the entry file, relative to the repository root. */
  entry: string
  /** Environment variable of its port, and the default. */
  portEnv?: string
  defaultPort?: number
  /** Variables for this process only. */
  env?: Record<string, string>
}

export const PROCESSES: ProcessSpec[] = [
  // Behind the gateway on this machine: the client address for login limits comes from the
  // X-Forwarded-For that the gateway (on loopback) sets, and from no one else.
  { name: 'users', entry: 'services/users/src/main.ts', portEnv: 'USERS_PORT', defaultPort: 8081, env: { TRUSTED_PROXIES: '127.0.0.1,::1' } },
  { name: 'payments', entry: 'services/payments/src/main.ts', portEnv: 'PAYMENTS_PORT', defaultPort: 8083 },
  { name: 'payments-worker', entry: 'services/payments/src/worker.ts' },
  { name: 'catalog', entry: 'services/catalog/src/main.ts', portEnv: 'CATALOG_PORT', defaultPort: 8084 },
  { name: 'catalog-worker', entry: 'services/catalog/src/worker.ts' },
  { name: 'orders', entry: 'services/orders/src/main.ts', portEnv: 'ORDERS_PORT', defaultPort: 8082 },
  { name: 'orders-worker', entry: 'services/orders/src/worker.ts' },
  { name: 'gateway', entry: 'services/gateway/src/main.ts', portEnv: 'GATEWAY_PORT', defaultPort: 8080 },
]

/**
 * What the processes need to find each other on this machine: users' JWKS, catalog's internal
 * routes, and the shared secret of internal calls (made fresh for this run unless given).
 */
export function localServiceEnv(env: Record<string, string | undefined>): Record<string, string> {
  return {
    USERS_URL: env.USERS_URL || `http://127.0.0.1:${env.USERS_PORT || 8081}`,
    CATALOG_URL: env.CATALOG_URL || `http://127.0.0.1:${env.CATALOG_PORT || 8084}`,
    ORDERS_URL: env.ORDERS_URL || `http://127.0.0.1:${env.ORDERS_PORT || 8082}`,
    PAYMENTS_URL: env.PAYMENTS_URL || `http://127.0.0.1:${env.PAYMENTS_PORT || 8083}`,
    INTERNAL_TOKEN: env.INTERNAL_TOKEN || crypto.randomUUID() + crypto.randomUUID(),
  }
}
