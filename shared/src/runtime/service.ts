/**
 * A service declared once. Each service folder has a `service.ts` that exports one manifest: its
 * name and port, its schema and migrations, how it reads its config, and how it builds its API and
 * its worker from the resources this module opens. Everything that starts processes derives them
 * from the list of manifests (`services.ts` at the root): each service's `main.ts` / `worker.ts` entry
 * (`runApi` / `runWorker` below), `bun run start`, the in-process system of the tests
 * (`startInProcess`, service-harness.ts), `bun run bench` and `bun run chaos`.
 */
import { Elysia } from 'elysia'
import type { Redis } from 'ioredis'
import { Registry } from 'prom-client'
import { errorPlugin } from '../http/errors.ts'
import { observabilityPlugin } from '../http/observability.ts'
import { pingRedis } from '../data/redis.ts'
import { connectSql, pingSql, type Sql } from '../data/db.ts'
import { tracedSql } from '../data/traced-sql.ts'
import { announce, every, listenAlone, onShutdown, runMain, type ShutdownStep } from './lifecycle.ts'
import { createLogger, type Logger, type LogLevel } from './logger.ts'
import { startTracing } from './tracing.ts'
import { migrate, type MigrationSource } from '../data/migrate.ts'
import { createRedis } from '../data/redis.ts'

export type Env = Record<string, string | undefined>

/** What every service's config has (commonSpec, plus where it listens). */
export interface BaseConfig {
  DATABASE_URL?: string
  DATABASE_POOL_MAX?: number
  REDIS_URL: string
  QUEUE_PREFIX: string
  LOG_LEVEL: LogLevel
  HOST?: string
}

/** What a service's API or worker is built from; opened and closed by whoever runs it. */
export interface Runtime<C extends BaseConfig> {
  /** The process: `orders`, `orders-worker`. */
  name: string
  config: C
  log: Logger
  /** The service's schema (a unique one in tests); empty for a service without data. */
  schema: string
  /** Connected to `schema`, migrated. Throws for a service that declared no schema. */
  readonly sql: Sql
  /** A shared client (rate limits, sessions), opened on first use. */
  readonly redis: Redis
  redisUrl: string
  queuePrefix: string
  /** The process's Prometheus registry: its `/metrics` (HTTP, process and business metrics). */
  metrics: Registry
  /** Runs when the process stops, after the HTTP server: in reverse order of registration. */
  onStop(name: string, run: () => unknown): void
  /** Runs `task` every `intervalMs` until the process stops; the count it returns is logged. */
  every(name: string, intervalMs: number, task: () => Promise<number>): void
}

export interface Api {
  app: { listen(options: Record<string, unknown>): unknown; stop(closeActive?: boolean): Promise<unknown> | unknown; server: { port?: number } | null }
  /** Seconds a connection may stay idle (long for SSE); Bun's default is 10. */
  idleTimeoutSeconds?: number
}

export interface Worker {
  start(): Promise<void> | void
  stop(): Promise<unknown>
  pruneInbox(): Promise<number>
  /** Resolves while the worker takes jobs; its process's `/ready` asks it besides Postgres and Redis. */
  ready?(): Promise<void>
  /** What the "worker running" line says. */
  describe?: Record<string, unknown>
}

export interface ServiceManifest<C extends BaseConfig = BaseConfig, P = unknown, A extends Api = Api, W extends Worker = Worker> {
  /** `users`; its processes are `users` and `users-worker`, its entries `src/main.ts` and `src/worker.ts`. */
  name: string
  /** How the logs and the port message name its API: "the users API". */
  what: string
  /** The variable of its port, and the default; `<NAME>_URL` is where the others find it. */
  port: { env: string; default: number }
  /** Its Postgres schema and what to apply there before anything runs; none for the gateway. */
  schema?: string
  migrations?: MigrationSource[]
  readConfig(env: Env): C
  /** Start-up work after migrations, shared by API and tests (users: signing keys, admin). */
  prepare?(rt: Runtime<C>): Promise<P>
  api(rt: Runtime<C>, prepared: P): Promise<A> | A
  worker?(rt: Runtime<C>): W
  /** Variables that `bun run start` gives this service's processes only. */
  localEnv?: Record<string, string>
}

// A list of manifests of different configs: the functions are used only through their manifest.
// biome-ignore lint: any is the point here
export type AnyManifest = ServiceManifest<any, any, any, any>

export const urlEnv = (manifest: { name: string }) => `${manifest.name.toUpperCase()}_URL`

/** The variable of a worker's operations port (`/health`, `/ready`, `/metrics`): `ORDERS_WORKER_PORT`. */
export const workerPortEnv = (manifest: { name: string }) => `${manifest.name.toUpperCase()}_WORKER_PORT`

/**
 * Where a service's worker serves `/health`, `/ready` and `/metrics`: `<NAME>_WORKER_PORT`, by
 * default the service's port + 100 (orders-worker 8182). 0 takes any free port (several workers of
 * one service on one machine).
 */
export function workerPort(manifest: { name: string; port: { default: number } }, env: Env = process.env): number {
  const name = workerPortEnv(manifest)
  const value = env[name]
  if (value === undefined || value === '') return manifest.port.default + 100
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new Error(`Invalid configuration:\n  - ${name} must be a port number from 0 to 65535 (got ${JSON.stringify(value)})`)
  return Number(value)
}

/** Opens what a runtime needs; `close()` runs the registered stops, then closes Postgres and Redis. */
export function openRuntime<C extends BaseConfig>(options: {
  name: string
  config: C
  log: Logger
  schema: string
  sql?: Sql
  /** False when the caller closes the connection itself (a test schema drops it). */
  closeSql?: boolean
  redisUrl: string
  queuePrefix: string
}): Runtime<C> & { steps(first?: ShutdownStep[]): ShutdownStep[]; close(first?: ShutdownStep[]): Promise<void> } {
  const stops: ShutdownStep[] = []
  const timers: ShutdownStep[] = []
  let redis: Redis | undefined
  const rt = {
    name: options.name,
    config: options.config,
    log: options.log,
    schema: options.schema,
    get sql(): Sql {
      if (!options.sql) throw new Error(`${options.name} declares no schema, so it has no database`)
      return options.sql
    },
    get redis(): Redis {
      return (redis ??= createRedis(options.redisUrl))
    },
    redisUrl: options.redisUrl,
    queuePrefix: options.queuePrefix,
    metrics: new Registry(),
    onStop: (name: string, run: () => unknown) => void stops.unshift({ name, run }),
    every: (name: string, intervalMs: number, task: () => Promise<number>) => void timers.push(every(options.log, name, intervalMs, task)),
    /** Timers, then `first` (the server, the worker), the registered stops (last registered first), Postgres and Redis. */
    steps: (first: ShutdownStep[] = []): ShutdownStep[] => [
      ...timers,
      ...first,
      ...stops,
      ...(options.sql && options.closeSql !== false ? [{ name: 'postgres', run: () => options.sql!.end({ timeout: 5 }) }] : []),
      { name: 'redis', run: () => redis?.quit() },
    ],
    async close(first: ShutdownStep[] = []) {
      for (const step of rt.steps(first)) await step.run()
    },
  }
  return rt
}

async function openProcess<C extends BaseConfig>(manifest: ServiceManifest<C, unknown, Api, Worker>, name: string) {
  const config = manifest.readConfig(process.env)
  const log = createLogger(name, config.LOG_LEVEL)
  // With tracing on, every query is a span named after its repository function.
  const sql = manifest.schema ? tracedSql(await connectSql({ url: config.DATABASE_URL!, schema: manifest.schema, applicationName: name, max: config.DATABASE_POOL_MAX })) : undefined
  if (sql && manifest.migrations) {
    const { applied } = await migrate(sql, manifest.schema!, manifest.migrations)
    if (applied.length) log.info('migrations applied', { applied })
  }
  const rt = openRuntime({ name, config, log, schema: manifest.schema ?? '', sql, redisUrl: config.REDIS_URL, queuePrefix: config.QUEUE_PREFIX })
  return rt
}

/** The entry of a service's API process: migrations, prepare, listen alone on its port, an ordered stop. */
export function runApi<C extends BaseConfig, P, A extends Api>(manifest: ServiceManifest<C, P, A, Worker>): Promise<void> {
  return runMain(manifest.name, async () => {
    const startedAt = performance.now()
    const tracing = await startTracing(manifest.name)
    const rt = await openProcess(manifest as ServiceManifest<C, unknown, Api, Worker>, manifest.name)
    // Registered first, so it runs last: the spans of the stop are sent too.
    if (tracing) rt.onStop('tracing', () => tracing.stop())
    const prepared = (await manifest.prepare?.(rt)) as P
    const api = await manifest.api(rt, prepared)
    const port = Number((rt.config as unknown as Record<string, unknown>)[manifest.port.env])
    const host = rt.config.HOST ?? '0.0.0.0'
    const app = listenAlone(api.app as never, {
      port,
      hostname: host,
      what: manifest.what,
      portEnv: manifest.port.env,
      ...(api.idleTimeoutSeconds ? { idleTimeout: api.idleTimeoutSeconds } : {}),
    }) as Api['app']
    // Streams (SSE) are closed with the server: a client reconnects to another instance.
    onShutdown(rt.log, rt.steps([{ name: 'http server', run: () => app.stop(true) }]))
    announce(rt.log, app.server, host, startedAt)
  })
}

/** The entry of a service's worker process: its consumer (and relay) started, inbox pruning hourly. */
export function runWorker<C extends BaseConfig>(manifest: ServiceManifest<C, unknown, Api, Worker>): Promise<void> {
  const name = `${manifest.name}-worker`
  return runMain(name, async () => {
    if (!manifest.worker) throw new Error(`${manifest.name} declares no worker`)
    const tracing = await startTracing(name)
    const rt = await openProcess(manifest, name)
    const startedAt = performance.now()
    if (tracing) rt.onStop('tracing', () => tracing.stop())
    const port = workerPort(manifest)
    const worker = manifest.worker(rt)
    await worker.start()
    rt.every('inbox pruned', 3600_000, () => worker.pruneInbox())
    // Its operations: /health, /ready (Postgres, Redis, the consumer taking jobs), /metrics.
    const host = rt.config.HOST ?? '0.0.0.0'
    const checks: Record<string, () => Promise<void>> = { redis: () => pingRedis(rt.redis), worker: () => worker.ready?.() ?? Promise.resolve() }
    if (rt.schema) checks.postgres = () => pingSql(rt.sql)
    const app = listenAlone(new Elysia({ name: `${name}.operations` }).use(errorPlugin(rt.log)).use(observabilityPlugin({ service: name, log: rt.log, checks, registry: rt.metrics })), {
      port,
      hostname: host,
      what: `the ${manifest.name} worker`,
      portEnv: workerPortEnv(manifest),
    })
    onShutdown(rt.log, rt.steps([{ name: 'worker', run: () => worker.stop() }, { name: 'operations server', run: () => app.stop(true) }]), 15_000)
    announce(rt.log, app.server, host, startedAt)
    rt.log.info('worker running', worker.describe ?? {})
  })
}

/** Declares a manifest with its types inferred: config from `readConfig`, the rest from what each part returns. */
export function defineService<C extends BaseConfig, P = undefined, A extends Api = Api, W extends Worker = Worker>(
  manifest: ServiceManifest<C, P, A, W>,
): ServiceManifest<C, P, A, W> {
  return manifest
}
