/**
 * Combined API documentation: one Swagger UI (from the swagger-ui-dist package, so it works
 * offline) listing every service's OpenAPI document, each fetched from the service and pointed at
 * the gateway so that "Try it out" goes through it; and at `/swagger/json` one document that
 * combines them (every public route the gateway forwards; internal routes are in none).
 */
import { Elysia, t } from 'elysia'
import { buildDocument, swaggerUiRoutes } from '@shop/shared/http/api-docs'
import { NotFoundError, Problem } from '@shop/shared/http/errors'
import { UpstreamUnavailableError } from '../proxy/proxy.ts'
import type { ServiceName } from '../proxy/routes-table.ts'

export const DOC_SERVICES: ServiceName[] = ['users', 'catalog', 'payments', 'orders', 'reviews']

type Document = { paths?: Record<string, unknown>; components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> } }

/** Each service's own operational routes; the combined document has the gateway's one set. */
const OPERATIONS = new Set(['/health', '/ready', '/metrics'])

/**
 * `own`: the gateway's own public routes (the console's system status), documented beside the
 * services' in the combined document.
 */
export function docsRoutes(urlOf: (name: ServiceName) => string, own?: unknown) {
  let ownDocument: Promise<Document> | undefined
  async function documentOf(name: ServiceName): Promise<Document> {
    try {
      const res = await fetch(new URL('/swagger/json', urlOf(name)), { signal: AbortSignal.timeout(5000) })
      if (!res.ok) throw new Error(String(res.status))
      return (await res.json()) as Document
    } catch {
      throw new UpstreamUnavailableError(name)
    }
  }

  return new Elysia({ name: 'gateway.docs' })
    .use(swaggerUiRoutes('Shop API', DOC_SERVICES.map((name) => ({ name, url: `/swagger/services/${name}.json` })), 'orders'))
    .get(
      '/swagger/services/:file',
      async ({ params }) => {
        const name = params.file.replace(/\.json$/, '') as ServiceName
        if (!DOC_SERVICES.includes(name)) throw new NotFoundError('No such service')
        // Requests from the page go through the gateway, whatever the service's own address.
        return { ...(await documentOf(name)), servers: [{ url: '/', description: 'the gateway' }] }
      },
      { response: { 200: t.Any(), 404: Problem, 502: Problem }, detail: { hide: true } },
    )
    .get(
      '/swagger/json',
      async () => {
        ownDocument ??= own ? (buildDocument(own, { title: 'Shop gateway', description: 'The gateway' }) as Promise<Document>) : Promise.resolve({})
        const documents = [...(await Promise.all(DOC_SERVICES.map(documentOf))), await ownDocument]
        const first = documents[0]!
        const paths: Record<string, unknown> = {}
        for (const [index, doc] of documents.entries())
          for (const [path, item] of Object.entries(doc.paths ?? {}))
            if (!OPERATIONS.has(path) || index === 0) paths[path] = item
        return {
          ...first,
          info: { ...(first as { info?: object }).info, title: 'Shop API', description: "Every public route, through the gateway: users, catalog, payments, orders and reviews, and the gateway's own." },
          servers: [{ url: '/', description: 'the gateway' }],
          paths,
          components: {
            schemas: Object.assign({}, ...documents.map((d) => d.components?.schemas ?? {})),
            securitySchemes: Object.assign({}, ...documents.map((d) => d.components?.securitySchemes ?? {})),
          },
        }
      },
      { response: { 200: t.Any(), 502: Problem }, detail: { hide: true } },
    )
}
