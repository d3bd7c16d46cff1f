/**
 * Every process of the system, derived from the services' manifests (services.ts at the root): each
 * service's API (`src/main.ts`) and, when it declares one, its worker (`src/worker.ts`, serving
 * /health, /ready and /metrics on the service's port + 100); each polled at `/ready` before the
 * system is announced.
 */
import { SERVICES } from '../services.ts'
import { urlEnv, workerPortEnv, type AnyManifest } from '@shop/shared/runtime/service'

export interface ProcessSpec {
  name: string
  /** The service it belongs to. */
  service: string
  /** How messages name it: "the orders API" (its manifest's `what`). */
  what: string
  /** Path of the entry file, relative to the repository root. */
  entry: string
  /** An API (serves the service's routes) or a worker (serves only /health, /ready, /metrics). */
  kind: 'api' | 'worker'
  /** Environment variable of its port, and the default (a worker's: the service's + 100). */
  portEnv: string
  defaultPort: number
  /** Variables for this process only. */
  env?: Record<string, string>
}

const MANIFESTS: AnyManifest[] = Object.values(SERVICES)

export const PROCESSES: ProcessSpec[] = MANIFESTS.flatMap((m) => [
  { name: m.name, service: m.name, kind: 'api' as const, what: m.what, entry: `services/${m.name}/src/main.ts`, portEnv: m.port.env, defaultPort: m.port.default, env: m.localEnv },
  ...(m.worker
    ? [{ name: `${m.name}-worker`, service: m.name, kind: 'worker' as const, what: `the ${m.name} worker`, entry: `services/${m.name}/src/worker.ts`, portEnv: workerPortEnv(m), defaultPort: m.port.default + 100, env: m.localEnv }]
    : []),
])

/**
 * What the processes need to find each other on this machine (`USERS_URL`... from each service's
 * port) and the shared secret of internal calls (made fresh for this run unless given).
 */
export function localServiceEnv(env: Record<string, string | undefined>): Record<string, string> {
  const urls = MANIFESTS.map((m) => [urlEnv(m), env[urlEnv(m)] || `http://127.0.0.1:${env[m.port.env] || m.port.default}`])
  return { ...Object.fromEntries(urls), INTERNAL_TOKEN: env.INTERNAL_TOKEN || crypto.randomUUID() + crypto.randomUUID() }
}
