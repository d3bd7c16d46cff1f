/**
 * Combined API documentation: one Swagger UI (served from the swagger-ui-dist package, so it
 * works offline) listing every service's OpenAPI document, each fetched from the service and
 * pointed at the gateway so that "Try it out" goes through it.
 */
import { dirname, join } from 'node:path'
import { Elysia, t } from 'elysia'
import { NotFoundError, Problem } from '@shop/shared/errors'
import { UpstreamUnavailableError } from '../proxy/proxy.ts'
import type { ServiceName } from '../proxy/routes-table.ts'

const ASSETS = dirname(Bun.resolveSync('swagger-ui-dist/package.json', import.meta.dir))
const FILES: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
}

export const DOC_SERVICES: ServiceName[] = ['users', 'catalog', 'payments', 'orders']

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Shop API</title>
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

const INIT = `window.ui = SwaggerUIBundle({
  urls: ${JSON.stringify(DOC_SERVICES.map((name) => ({ name, url: `/swagger/services/${name}.json` })))},
  'urls.primaryName': 'orders',
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout'
})`

export function docsRoutes(upstreams: Record<ServiceName, string>) {
  return new Elysia({ name: 'gateway.docs' })
    .get(
      '/swagger',
      ({ set }) => {
        set.headers['content-type'] = 'text/html; charset=utf-8'
        set.headers['content-security-policy'] = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"
        return PAGE
      },
      { response: { 200: t.String() }, detail: { hide: true } },
    )
    .get(
      '/swagger/init.js',
      ({ set }) => {
        set.headers['content-type'] = 'text/javascript; charset=utf-8'
        return INIT
      },
      { response: { 200: t.String() }, detail: { hide: true } },
    )
    .get(
      '/swagger/assets/:file',
      ({ params, set }) => {
        const type = FILES[params.file]
        if (!type) throw new NotFoundError('No such file')
        set.headers['content-type'] = type
        set.headers['cache-control'] = 'public, max-age=86400'
        return Bun.file(join(ASSETS, params.file))
      },
      { response: { 200: t.Any(), 404: Problem }, detail: { hide: true } },
    )
    .get(
      '/swagger/services/:file',
      async ({ params }) => {
        const name = params.file.replace(/\.json$/, '') as ServiceName
        if (!DOC_SERVICES.includes(name)) throw new NotFoundError('No such service')
        let doc: { servers?: unknown }
        try {
          const res = await fetch(new URL('/swagger/json', upstreams[name]), { signal: AbortSignal.timeout(5000) })
          if (!res.ok) throw new Error(String(res.status))
          doc = (await res.json()) as { servers?: unknown }
        } catch {
          throw new UpstreamUnavailableError(name)
        }
        // Requests from the page go through the gateway, whatever the service's own address.
        return { ...doc, servers: [{ url: '/', description: 'the gateway' }] }
      },
      { response: { 200: t.Any(), 404: Problem, 502: Problem }, detail: { hide: true } },
    )
}
