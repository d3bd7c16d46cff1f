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

/** The gap between the ports of a service's instances: users at 8081, 8091, 8101…; its worker at 8181, 8191… */
export const INSTANCE_PORT_STEP = 10

/**
 * A process's Postgres pool with `instances` of each: 10 for one (DATABASE_POOL_MAX's default),
 * then 8 shared among them, at least 2: up to three instances of the nine processes that use
 * Postgres, their LISTEN connections included, stay under its default max_connections of 100.
 */
export const poolPerInstance = (instances: number) => (instances <= 1 ? 10 : Math.max(2, Math.floor(8 / instances)))

/** A process of one instance, with the port it listens on (its env sets `portEnv` to it). */
export interface InstanceSpec extends ProcessSpec {
  /** 1 for the first of each process, 2 for the next… */
  instance: number
  port: number
}

/**
 * Every process `instances` times over (the gateway once: it is the public entry, and balances
 * the rest): instance n of a process listens on its port + 10·(n-1), the first on the port
 * `portEnv` names or its default. Names gain `-2`, `-3`… from the second.
 */
export function withInstances(instances: number, env: Record<string, string | undefined>, specs: ProcessSpec[] = PROCESSES): InstanceSpec[] {
  return specs.flatMap((spec) => {
    const first = Number(env[spec.portEnv] || spec.defaultPort)
    const count = spec.service === 'gateway' ? 1 : instances
    return Array.from({ length: count }, (_, i) => ({
      ...spec,
      name: i === 0 ? spec.name : `${spec.name}-${i + 1}`,
      instance: i + 1,
      port: first + i * INSTANCE_PORT_STEP,
      env: { ...spec.env, [spec.portEnv]: String(first + i * INSTANCE_PORT_STEP) },
    }))
  })
}

/**
 * What the processes need to find each other on this machine (`USERS_URL`... from each service's
 * port: with several instances, each URL variable lists them all, and the gateway and the
 * services' own calls spread over them) and the shared secret of internal calls (made fresh for
 * this run unless given).
 */
export function localServiceEnv(env: Record<string, string | undefined>, instances = 1): Record<string, string> {
  const urls = MANIFESTS.map((m) => {
    const first = Number(env[m.port.env] || m.port.default)
    const count = m.name === 'gateway' ? 1 : instances
    return [urlEnv(m), env[urlEnv(m)] || Array.from({ length: count }, (_, i) => `http://127.0.0.1:${first + i * INSTANCE_PORT_STEP}`).join(',')]
  })
  return { ...Object.fromEntries(urls), INTERNAL_TOKEN: env.INTERNAL_TOKEN || crypto.randomUUID() + crypto.randomUUID() }
}
