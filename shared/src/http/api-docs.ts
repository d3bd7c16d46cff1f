/**
 * API documents (OpenAPI 3.1, generated from the routes' schemas by `@elysiajs/openapi`) and
 * Swagger UI served from the `swagger-ui-dist` package, so that every page works offline: at
 * `/swagger` (the UI), `/swagger/json` (the document) and `/swagger/assets/*` on every service.
 *
 * The generated document is made true to what the routes answer: error answers are
 * `application/problem+json` with the shared Problem schema (and a `default` answer says any other
 * status is one too), integers are integers (Elysia documents them as "an integer or a numeric
 * string", which it accepts in queries but never answers), the event stream is
 * `text/event-stream`, internal routes are left out, and operations without a token say so.
 */
import { dirname, join } from 'node:path'
import { FormatRegistry } from '@sinclair/typebox'
import { Elysia, t } from 'elysia'
import { NotFoundError, Problem } from './errors.ts'

const ASSETS = dirname(Bun.resolveSync('swagger-ui-dist/package.json', import.meta.dir))

/** The files of swagger-ui-dist a page needs, with their types. */
const ASSET_TYPES: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
}

/** The Swagger UI page: its own script and styles only (no inline script, no CDN). */
export function swaggerPage(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${title}</title>
  <link rel="stylesheet" href="/swagger/assets/swagger-ui.css">
  <link rel="icon" href="/swagger/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/swagger/assets/swagger-ui-bundle.js"></script>
  <script src="/swagger/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/swagger/init.js"></script>
</body>
</html>`
}

/** The script that starts Swagger UI on one document, or on several (a picker at the top). */
export function swaggerInit(documents: { name: string; url: string }[], primary?: string): string {
  const source = documents.length === 1 ? { url: documents[0]!.url } : { urls: documents, 'urls.primaryName': primary ?? documents[0]!.name }
  return `window.ui = SwaggerUIBundle(Object.assign(${JSON.stringify(source)}, {
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout'
}))`
}

/** `/swagger`, `/swagger/init.js` and `/swagger/assets/:file` for the documents given. */
export function swaggerUiRoutes(title: string, documents: { name: string; url: string }[], primary?: string) {
  const page = swaggerPage(title)
  const init = swaggerInit(documents, primary)
  return new Elysia({ name: `shop.swagger-ui.${title}` })
    .get(
      '/swagger',
      ({ set }) => {
        set.headers['content-type'] = 'text/html; charset=utf-8'
        return page
      },
      { response: { 200: t.String() }, detail: { hide: true } },
    )
    .get(
      '/swagger/init.js',
      ({ set }) => {
        set.headers['content-type'] = 'text/javascript; charset=utf-8'
        return init
      },
      { response: { 200: t.String() }, detail: { hide: true } },
    )
    .get(
      '/swagger/assets/:file',
      ({ params, set }) => {
        const type = ASSET_TYPES[params.file]
        if (!type) throw new NotFoundError('No such file')
        set.headers['content-type'] = type
        set.headers['cache-control'] = 'public, max-age=86400'
        return Bun.file(join(ASSETS, params.file))
      },
      { response: { 200: t.Any(), 404: Problem }, detail: { hide: true } },
    )
}

type Json = Record<string, unknown>
const PROBLEM_REF = { $ref: '#/components/schemas/Problem' }
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']

/** Elysia's "integer, or a string holding one" (what it coerces in a query) as what it answers: an integer. */
export function isCoercedNumber(schema: Json): 'integer' | 'number' | undefined {
  const anyOf = schema.anyOf as Json[] | undefined
  if (!Array.isArray(anyOf) || anyOf.length !== 2) return undefined
  const text = anyOf.find((s) => s.type === 'string' && (s.format === 'integer' || s.format === 'numeric'))
  const value = anyOf.find((s) => s.type === 'integer' || s.type === 'number')
  return text && value ? (value.type as 'integer' | 'number') : undefined
}

/** Cleans a schema in place: coerced numbers as plain, our own `error` messages out. */
function cleanSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(cleanSchema)
  if (!node || typeof node !== 'object') return node
  const schema = node as Json
  const numeric = isCoercedNumber(schema)
  if (numeric) {
    const value = (schema.anyOf as Json[]).find((s) => s.type === numeric)!
    const { anyOf: _, ...rest } = schema
    return cleanSchema({ ...rest, ...value })
  }
  const out: Json = {}
  for (const [key, value] of Object.entries(schema)) {
    // `error` is the message our validation answers with, not JSON Schema; `default: 0` came with the coercion.
    if (key === 'error') continue
    out[key] = cleanSchema(value)
  }
  return out
}

function isProblemSchema(schema: unknown): boolean {
  return !!schema && typeof schema === 'object' && (schema as Json).description === 'RFC 9457 problem details'
}

/** One operation made true to its answers (see the module comment). */
function fixOperation(path: string, operation: Json): Json {
  const responses = { ...((operation.responses as Json | undefined) ?? {}) }
  for (const [status, value] of Object.entries(responses)) {
    const response = { ...(value as Json) }
    const content = response.content as Record<string, { schema?: unknown }> | undefined
    // A problem is answered as application/problem+json (the health check's 503 is its own JSON).
    const schema = content && Object.values(content)[0]?.schema
    if (Number(status) >= 400 && isProblemSchema(schema)) {
      response.content = { 'application/problem+json': { schema: PROBLEM_REF } }
      response.description = problemDescription(status)
    } else if (typeof response.description === 'string' && response.description.startsWith('Response for status'))
      response.description = SUCCESS[status] ?? response.description
    // No content, no media type (Elysia writes `t.Void()` as one).
    if (status === '204') delete response.content
    if (path === '/metrics' && status === '200') response.content = { 'text/plain': { schema: { type: 'string' } } }
    // An event stream (its route's 200 schema says `text/event-stream: ...`): the customer's, the owner's.
    const streamed = (schema as Json | undefined)?.description
    if (status === '200' && typeof streamed === 'string' && streamed.startsWith('text/event-stream'))
      response.content = { 'text/event-stream': { schema: { type: 'string', description: streamed } } }
    if (path.startsWith('/api/images/') && status === '200') response.content = { 'image/webp': { schema: { type: 'string', contentMediaType: 'image/webp' } } }
    responses[status] = response
  }
  // Bodies are JSON (the apps parse nothing else; the generator lists form types beside it), but
  // an upload's, which is multipart/form-data with its file as binary.
  const body = operation.requestBody as Json | undefined
  const json = (body?.content as Json | undefined)?.['application/json'] as Json | undefined
  const upload = JSON.stringify(json ?? {}).includes('"format":"binary"')
  const requestBody = body && json ? { requestBody: { ...body, content: { [upload ? 'multipart/form-data' : 'application/json']: json } } } : {}
  responses.default = { description: 'Any other answer: an RFC 9457 problem (413 for a body over the limit, 429 past a rate limit, 500 ...)', content: { 'application/problem+json': { schema: PROBLEM_REF } } }
  return { ...operation, ...requestBody, responses, ...(operation.security ? {} : { security: [] }) }
}

type Generator = (typeof import('@elysiajs/openapi'))['toOpenAPISchema']
let loading: Promise<Generator> | undefined

/**
 * `@elysiajs/openapi`, loaded when a document is first asked for, and without its side effect:
 * on import it replaces TypeBox's string formats (uuid, email, date-time...) with valibot checks,
 * which every request's validation then runs through. In the order path that was 12 % of the
 * catalog API's CPU and +0.05 ms per order in catalog and in orders (bun run bench, CPU
 * profiles); and the checks are not the ones the services were written against. Elysia's formats
 * are put back as they were.
 */
export function generator(): Promise<Generator> {
  return (loading ??= (async () => {
    const formats = new Map(FormatRegistry.Entries())
    const { toOpenAPISchema } = await import('@elysiajs/openapi')
    FormatRegistry.Clear()
    for (const [name, check] of formats) FormatRegistry.Set(name, check)
    return toOpenAPISchema
  })())
}

/**
 * The app as the generator should see it: its routes without function parse hooks. The generator
 * documents a body only under the parsers it knows by name and skips functions, so the guards'
 * `onParse` (a function, on every route) left every request body without a schema.
 */
function withoutParseFunctions(app: unknown): unknown {
  type Route = { hooks?: Json & { parse?: { fn: unknown }[] } }
  const target = app as { getGlobalRoutes(): Route[] }
  return new Proxy(target, {
    get(object, property) {
      if (property === 'getGlobalRoutes')
        return () =>
          object.getGlobalRoutes().map((route) => {
            const parse = route.hooks?.parse?.filter((p) => typeof p.fn !== 'function')
            return route.hooks ? { ...route, hooks: { ...route.hooks, parse: parse?.length ? parse : undefined } } : route
          })
      const value = Reflect.get(object, property, object)
      return typeof value === 'function' ? value.bind(object) : value
    },
  })
}

const SUCCESS: Record<string, string> = { '200': 'OK', '201': 'Created', '202': 'Accepted', '204': 'No content', '303': 'See other' }

function problemDescription(status: string): string {
  const words: Record<string, string> = {
    '400': 'Bad request',
    '401': 'No valid access token',
    '403': 'Not allowed',
    '404': 'Not found',
    '409': 'Conflict with the current state',
    '413': 'Body over the limit',
    '415': 'Unsupported media type',
    '422': 'Invalid input (each field named in errors)',
    '429': 'Too many requests (Retry-After)',
    '502': 'A service could not be reached',
    '503': 'A dependency is unavailable',
    '504': 'A service did not answer in time',
  }
  return words[status] ?? 'An RFC 9457 problem'
}

export interface DocumentInfo {
  title: string
  description: string
  version?: string
}

/**
 * The routes of `app` (built) as one OpenAPI 3.1 document, true to their answers. Internal routes
 * (tag `internal`: called by other services, never forwarded by the gateway) are left out unless
 * `internal` is set (the fuzz test drives them too).
 */
export async function buildDocument(app: unknown, info: DocumentInfo, options: { internal?: boolean } = {}): Promise<Json> {
  const exclude = { staticFile: false, ...(options.internal ? {} : { tags: ['internal'] }) }
  const toOpenAPISchema = await generator()
  const generated = toOpenAPISchema(withoutParseFunctions(app) as never, exclude, undefined, undefined, '3.1.1')
  const paths: Json = {}
  for (const [path, item] of Object.entries(generated.paths as Json)) {
    const fixed: Json = {}
    for (const [method, operation] of Object.entries(item as Json)) fixed[method] = METHODS.includes(method) ? fixOperation(path, operation as Json) : operation
    paths[path] = fixed
  }
  return cleanSchema({
    openapi: '3.1.1',
    info: { title: info.title, description: info.description, version: info.version ?? '0.1.0', license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' } },
    servers: [{ url: '/', description: 'this service' }],
    paths,
    components: {
      schemas: { ...((generated.components as Json | undefined)?.schemas as Json | undefined), Problem },
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        ...(options.internal ? { serviceToken: { type: 'apiKey', in: 'header', name: 'X-Service-Token' } } : {}),
      },
    },
  }) as Json
}

/**
 * Docs for a service: Swagger UI at `/swagger` and its document at `/swagger/json`, built from
 * `app()` (the finished app: every route is registered by the time a request comes).
 */
export function apiDocsRoutes(app: () => unknown, info: DocumentInfo) {
  const cached: { public?: Json; internal?: Json } = {}
  return new Elysia({ name: `shop.api-docs.${info.title}` })
    .use(swaggerUiRoutes(info.title, [{ name: info.title, url: '/swagger/json' }]))
    .get(
      '/swagger/json',
      // `?include=internal` adds the internal routes (only the service's own port serves them).
      async ({ query }) =>
        query.include === 'internal' ? (cached.internal ??= await buildDocument(app(), info, { internal: true })) : (cached.public ??= await buildDocument(app(), info)),
      { query: t.Object({ include: t.Optional(t.Literal('internal')) }), response: { 200: t.Any(), 422: Problem }, detail: { hide: true } },
    )
}
