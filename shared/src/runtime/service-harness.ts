/**
 * A service run inside the test process from its manifest, as its `main.ts` and `worker.ts` would
 * run it, but on a schema of its own (dropped at the end), a free loopback port and the given
 * environment. The system test harness (tests/system.ts) starts the whole list this way.
 */
import type { Logger } from './logger.ts'
import { migrate } from '../data/migrate.ts'
import { openRuntime, type Api, type BaseConfig, type Env, type ServiceManifest, type Worker } from './service.ts'
import { testLog, testSchema, type TestSchema } from '../testing.ts'

export interface InProcess<P, A extends Api, W extends Worker> {
  url: string
  prepared: P
  api: A
  /** The worker, started; undefined for a service without one. */
  worker: W | undefined
  /** The schema (undefined for a service without data). */
  db: TestSchema | undefined
  /** Stops the HTTP server only (the worker keeps running). */
  stopServer(): Promise<void>
  /** Stops the worker (first, so no new effects are made while the rest closes). */
  stopWorker(): Promise<void>
  /** Stops the server, runs the registered stops and drops the schema. */
  stop(): Promise<void>
}

export async function startInProcess<C extends BaseConfig, P, A extends Api, W extends Worker>(
  manifest: ServiceManifest<C, P, A, W>,
  env: Env,
  options: { log?: Logger } = {},
): Promise<InProcess<P, A, W>> {
  const config = manifest.readConfig(env)
  const log = options.log ?? testLog
  const db = manifest.schema ? testSchema(manifest.schema) : undefined
  if (db && manifest.migrations) await migrate(db.sql, db.schema, manifest.migrations)
  const rt = openRuntime({
    name: manifest.name,
    config,
    log,
    schema: db?.schema ?? '',
    sql: db?.sql,
    closeSql: false,
    redisUrl: config.REDIS_URL,
    queuePrefix: config.QUEUE_PREFIX,
  })
  const prepared = (await manifest.prepare?.(rt)) as P
  const api = await manifest.api(rt, prepared)
  // Bun's own body limit lifted, as listenAlone does in production: the apps answer 413 problems
  // themselves. Idle connections live at least 60 s: a test's fetch reuses pooled connections, and
  // one the server dropped meanwhile is an ECONNRESET that no client of a real shop would see.
  api.app.listen({ port: 0, hostname: '127.0.0.1', idleTimeout: Math.max(60, api.idleTimeoutSeconds ?? 0), maxRequestBodySize: Number.MAX_SAFE_INTEGER })
  const url = `http://127.0.0.1:${api.app.server!.port}`
  const worker = manifest.worker?.(rt)
  await worker?.start()
  let serverStopped = false
  let workerStopped = !worker
  const handle: InProcess<P, A, W> = {
    url,
    prepared,
    api,
    worker,
    db,
    async stopServer() {
      if (serverStopped) return
      serverStopped = true
      await api.app.stop(true)
    },
    async stopWorker() {
      if (workerStopped) return
      workerStopped = true
      await worker!.stop()
    },
    async stop() {
      await handle.stopWorker()
      await handle.stopServer()
      await rt.close()
      await db?.drop()
    },
  }
  return handle
}

/** What `startInProcess` gives for a given manifest. */
export type InProcessOf<M> = M extends ServiceManifest<infer _C, infer P, infer A, infer W> ? InProcess<P, A, W> : never
