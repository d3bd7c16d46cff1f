/**
 * The web build of the desktop renderer at `/` (WEB_DIR). Files are served only from inside that
 * folder; other paths fall back to index.html (client-side routing). Without a build, a short
 * page says what is missing and links to the API docs.
 *
 * Served well: text files (HTML, JS, CSS, SVG, JSON) brotli- or gzip-compressed as the client
 * accepts (compressed once per file version, kept in memory); Vite's hashed assets (`/assets/`)
 * cached for a year as immutable, index.html `no-cache` (every visit asks, an unchanged one is a
 * 304 by its ETag), anything else an hour; a robots.txt even when the build has none.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { Elysia, t } from 'elysia'

const PLACEHOLDER = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shop</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
  <h1>Shop</h1>
  <p>The web UI has not been built on this machine. The API is up: browse it in
  <a href="/swagger">the API docs</a>, and the job queues in <a href="/admin/queues">the queue dashboard</a> (admins).</p>
</body></html>`

/** For crawlers: the shop's pages, not its API, its dashboards or its docs. */
export const ROBOTS_TXT = `User-agent: *
Allow: /
Disallow: /api/
Disallow: /admin/
Disallow: /swagger
`

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
}
/** Smaller than this, compression saves less than its headers cost. */
const MIN_COMPRESS_BYTES = 1024

const YEAR = 'public, max-age=31536000, immutable'

type Encoding = 'br' | 'gzip'

/** The encoding to answer with: brotli when accepted, else gzip, else none (q=0 refuses). */
export function pickEncoding(acceptEncoding: string | null): Encoding | undefined {
  const accepted = new Map<string, number>()
  for (const part of (acceptEncoding ?? '').toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';')
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    if (name) accepted.set(name, q ? Number(q.slice(2)) : 1)
  }
  const ok = (name: string) => (accepted.get(name) ?? accepted.get('*') ?? 0) > 0
  return ok('br') ? 'br' : ok('gzip') ? 'gzip' : undefined
}

export function webRoutes(webDir: string) {
  const root = resolve(webDir)
  const index = join(root, 'index.html')
  /** Compressed bodies by file, encoding and version (size and mtime). */
  const compressed = new Map<string, { version: string; body: Uint8Array }>()

  function fileFor(path: string): string | undefined {
    if (!existsSync(index)) return undefined
    const candidate = normalize(join(root, decodeURIComponent(path)))
    if (candidate !== root && !candidate.startsWith(root + sep)) return index
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate
    return index
  }

  function compress(file: string, version: string, encoding: Encoding): Uint8Array {
    const key = `${encoding}:${file}`
    const hit = compressed.get(key)
    if (hit?.version === version) return hit.body
    const raw = readFileSync(file)
    const body =
      encoding === 'br'
        ? brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.byteLength } })
        : gzipSync(raw, { level: 9 })
    compressed.set(key, { version, body: new Uint8Array(body) })
    return compressed.get(key)!.body
  }

  const serve = ({ path, request }: { path: string; request: Request }): Response => {
    if (path === '/robots.txt' && !existsSync(join(root, 'robots.txt')))
      return new Response(ROBOTS_TXT, { headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'public, max-age=3600' } })
    const file = fileFor(path)
    if (!file) return new Response(PLACEHOLDER, { headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' } })
    const stat = statSync(file)
    const version = `${stat.size.toString(36)}-${Math.floor(stat.mtimeMs).toString(36)}`
    const etag = `"${version}"`
    const type = TYPES[extname(file).toLowerCase()]
    const headers: Record<string, string> = {
      'cache-control': file === index ? 'no-cache' : path.startsWith('/assets/') ? YEAR : 'public, max-age=3600',
      etag,
      vary: 'Accept-Encoding',
    }
    if (type) headers['content-type'] = type
    if (request.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers })
    const encoding = type && stat.size >= MIN_COMPRESS_BYTES ? pickEncoding(request.headers.get('accept-encoding')) : undefined
    if (encoding) return new Response(compress(file, version, encoding) as Uint8Array<ArrayBuffer>, { headers: { ...headers, 'content-encoding': encoding } })
    return new Response(Bun.file(file), { headers })
  }

  return new Elysia({ name: 'gateway.web' })
    .get('/', serve, { response: { 200: t.Any() }, detail: { hide: true } })
    .get('/*', serve, { response: { 200: t.Any() }, detail: { hide: true } })
}
