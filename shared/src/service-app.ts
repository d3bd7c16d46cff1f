/**
 * The base every service's `createApp` starts from: the error plugin, the guards against hostile
 * input (body size, NUL characters, malformed paths), observability routes and Swagger UI at
 * `/swagger` (document at `/swagger/json`).
 */
import { Elysia } from 'elysia'
import { swagger } from '@elysiajs/swagger'
import { errorPlugin } from './errors.ts'
import { observabilityPlugin, type ReadinessChecks } from './observability.ts'
import type { Logger } from './logger.ts'
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
}

export function createServiceApp(options: ServiceAppOptions) {
  return new Elysia({ name: `shop.service.${options.service}` })
    .use(errorPlugin(options.log))
    .use(requestGuards({ maxBodyBytes: options.maxBodyBytes }))
    .use(observabilityPlugin({ service: options.service, log: options.log, checks: options.checks }))
    .use(
      swagger({
        provider: 'swagger-ui',
        path: '/swagger',
        specPath: '/swagger/json',
        // Keeps /.well-known/jwks.json in the document; no service serves static files.
        excludeStaticFile: false,
        documentation: {
          info: { title: options.title, description: options.description, version: options.version ?? '0.1.0' },
          components: {
            securitySchemes: {
              bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
              serviceToken: { type: 'apiKey', in: 'header', name: 'X-Service-Token' },
            },
          },
        },
      }),
    )
}
