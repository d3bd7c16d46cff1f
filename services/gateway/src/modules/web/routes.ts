/**
 * The web build of the desktop renderer at `/` (WEB_DIR). Files are served only from inside that
 * folder; other paths fall back to index.html (client-side routing). Without a build, a short
 * page says what is missing and links to the API docs.
 */
import { existsSync, statSync } from 'node:fs'
import { join, normalize, resolve, sep } from 'node:path'
import { Elysia, t } from 'elysia'

const PLACEHOLDER = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shop</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
  <h1>Shop</h1>
  <p>The web UI has not been built on this machine. The API is up: browse it in
  <a href="/swagger">the API docs</a>, and the job queues in <a href="/admin/queues">the queue dashboard</a> (admins).</p>
</body></html>`

export function webRoutes(webDir: string) {
  const root = resolve(webDir)
  const index = join(root, 'index.html')

  function fileFor(path: string): string | undefined {
    if (!existsSync(index)) return undefined
    const candidate = normalize(join(root, decodeURIComponent(path)))
    if (candidate !== root && !candidate.startsWith(root + sep)) return index
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate
    return index
  }

  const serve = ({ path, set }: { path: string; set: { headers: Record<string, string | number> } }) => {
    const file = fileFor(path)
    if (!file) {
      set.headers['content-type'] = 'text/html; charset=utf-8'
      return PLACEHOLDER
    }
    set.headers['cache-control'] = file === index ? 'no-cache' : 'public, max-age=3600'
    return Bun.file(file)
  }

  return new Elysia({ name: 'gateway.web' })
    .get('/', serve, { response: { 200: t.Any() }, detail: { hide: true } })
    .get('/*', serve, { response: { 200: t.Any() }, detail: { hide: true } })
}
