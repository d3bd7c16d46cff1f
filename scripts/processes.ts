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
}

export const PROCESSES: ProcessSpec[] = [
  { name: 'users', entry: 'services/users/src/main.ts', portEnv: 'USERS_PORT', defaultPort: 8081 },
  { name: 'payments', entry: 'services/payments/src/main.ts', portEnv: 'PAYMENTS_PORT', defaultPort: 8083 },
  { name: 'payments-worker', entry: 'services/payments/src/worker.ts' },
]

/** Where the other services find users' JWKS when they run on this machine. */
export function localServiceUrls(env: Record<string, string | undefined>): Record<string, string> {
  return { USERS_URL: env.USERS_URL || `http://127.0.0.1:${env.USERS_PORT || 8081}` }
}
