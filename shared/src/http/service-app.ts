/**
 * The base every service's `createApp` starts from: the error plugin, the guards against hostile
 * input (body size, NUL characters, malformed paths), observability routes, and the API document
 * at `/swagger/json` with Swagger UI at `/swagger`, both offline (api-docs.ts).
 */
import { Elysia } from 'elysia'
import type { Registry } from 'prom-client'
import { apiDocsRoutes } from './api-docs.ts'
import { errorPlugin } from './errors.ts'
import { observabilityPlugin, type ReadinessChecks } from './observability.ts'
import type { Logger } from '../runtime/logger.ts'
import { requestGuards } from './request-guards.ts'

export interface ServiceAppOptions {
  service: string
  title: string
  description: string
  version?: string
  log: Logger
  checks: ReadinessChecks
  /** The largest request body (default 1 MiB); a larger one is a 413 problem. */
  maxBodyBytes?: number
  /** The process's registry (its business metrics beside the HTTP ones); a new one if absent. */
  registry?: Registry
}

export function createServiceApp(options: ServiceAppOptions) {
  const app = new Elysia({ name: `shop.service.${options.service}` })
    .use(errorPlugin(options.log))
    .use(requestGuards({ maxBodyBytes: options.maxBodyBytes }))
    .use(observabilityPlugin({ service: options.service, log: options.log, checks: options.checks, registry: options.registry }))
  // The document is built from the finished app: the routes the service adds after this are in it.
  return app.use(apiDocsRoutes(() => app, { title: options.title, description: options.description, version: options.version }))
}
